import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../src/core/index.js'
import { composeAsof } from '../../src/asof.js'
import { tempDir } from '../helpers/engines.js'
import { runAsofSync } from '../helpers/cli.js'

const repo = tempDir()

function asof(...args: string[]) {
  return runAsofSync(['--repo', repo.dir, ...args])
}

const REPO_YAML = `
entities:
  - name: driver
    join_keys: [driver_id]
sources:
  - name: driver_stats_source
    kind: file
    path: data/driver_stats.csv
    timestamp_field: event_timestamp
feature_views:
  - name: driver_hourly_stats
    entities: [driver]
    ttl: 36500d
    source: driver_stats_source
    schema:
      - {name: conv_rate, dtype: float64}
      - {name: avg_daily_trips, dtype: int64}
`

describe('asof materialize / materialize-incremental / online (real CLI, file source)', () => {
  before(async () => {
    mkdirSync(join(repo.dir, 'data'))
    writeFileSync(join(repo.dir, 'data', 'driver_stats.csv'), [
      'driver_id,conv_rate,avg_daily_trips,event_timestamp',
      '1001,0.5,10,2021-01-01T00:00:00Z',
      '1001,0.6,12,2021-01-02T00:00:00Z',
      '1002,0.7,14,2021-01-01T06:00:00Z',
      '1002,0.9,18,2021-01-09T00:00:00Z',
    ].join('\n'))
    writeFileSync(join(repo.dir, 'asof.yaml'), 'project: cli_test\n')
    writeFileSync(join(repo.dir, 'driver_repo.yaml'), REPO_YAML)
    const a = await composeAsof(loadConfig({ repoDir: repo.dir, logLevel: 'silent' }, {}))
    try {
      await a.featureStore.apply()
    } finally {
      await a.close()
    }
  })
  after(() => repo.remove())

  it('materializes a window and prints the Feast-shaped online response', () => {
    const m = asof('materialize', '2021-01-01', '2021-01-03T00:00:00+00:00')
    assert.equal(m.status, 0, m.stderr)
    assert.equal(m.stdout, 'driver_hourly_stats@1: 2 entities read, 2 written (2021-01-01T00:00:00Z → 2021-01-03T00:00:00Z)\n')
    const o = asof('online', '--features', 'driver_hourly_stats:conv_rate,driver_hourly_stats:avg_daily_trips', '--entity', 'driver_id=1001', '--entity', 'driver_id=1002', '--entity', 'driver_id="1001"')
    assert.equal(o.status, 0, o.stderr)
    assert.deepEqual(JSON.parse(o.stdout), {
      metadata: { feature_names: ['driver_id', 'conv_rate', 'avg_daily_trips'] },
      results: [
        { values: [1001, 1002, '1001'], statuses: ['PRESENT', 'PRESENT', 'PRESENT'], event_timestamps: Array(3).fill('1970-01-01T00:00:00Z') },
        { values: [0.6, 0.7, null], statuses: ['PRESENT', 'PRESENT', 'NOT_FOUND'], event_timestamps: ['2021-01-02T00:00:00Z', '2021-01-01T06:00:00Z', '1970-01-01T00:00:00Z'] },
        { values: [12, 14, null], statuses: ['PRESENT', 'PRESENT', 'NOT_FOUND'], event_timestamps: ['2021-01-02T00:00:00Z', '2021-01-01T06:00:00Z', '1970-01-01T00:00:00Z'] },
      ],
    })
  })

  it('continues from the watermark with materialize-incremental and reports JSON with --json', () => {
    const m = asof('--json', 'materialize-incremental', '2021-01-10T00:00:00Z', '--views', 'driver_hourly_stats')
    assert.equal(m.status, 0, m.stderr)
    const report = JSON.parse(m.stdout) as { views: { start: string; rows_read: number; status: string }[] }
    assert.deepEqual(report.views.map((v) => [v.start, v.rows_read, v.status]), [['2021-01-03T00:00:00Z', 1, 'succeeded']])
    const o = asof('online', '--features', 'driver_hourly_stats@1:conv_rate', '--entity', 'driver_id=1002', '--full-feature-names')
    assert.equal(o.status, 0, o.stderr)
    const response = JSON.parse(o.stdout) as { metadata: { feature_names: string[] }; results: { values: unknown[] }[] }
    assert.deepEqual(response.metadata.feature_names, ['driver_id', 'driver_hourly_stats__conv_rate'])
    assert.deepEqual(response.results[1]!.values, [0.9])
  })

  it('exits 2 with one clear message on bad input', () => {
    const unknown = asof('online', '--features', 'nope:conv_rate', '--entity', 'driver_id=1')
    assert.equal(unknown.status, 2, unknown.stderr)
    assert.match(unknown.stderr, /unknown feature view "nope"; known: driver_hourly_stats/)
    const badTime = asof('materialize', 'yesterday', '2021-01-01')
    assert.equal(badTime.status, 2, badTime.stderr)
    assert.match(badTime.stderr, /start: expected an ISO-8601 timestamp/)
    const noEntity = asof('online', '--features', 'driver_hourly_stats:conv_rate')
    assert.equal(noEntity.status, 2, noEntity.stderr)
    assert.match(noEntity.stderr, /--entity/)
  })
})
