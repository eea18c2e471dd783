import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tableFromIPC } from 'apache-arrow'
import { DuckDbEngine, sql } from '../../src/engines/index.js'
import { createExampleRepo } from '../../src/featurestore/index.js'
import { tempDir } from '../helpers/engines.js'
import { startServe } from '../helpers/serve.js'
import { runAsofSync } from '../helpers/cli.js'

/** `asof plan`, `apply`, `versions` and `historical` as a user runs them: the real binary in a child process. */
const ENV = {}

function asof(repo: string, ...args: string[]) {
  const r = runAsofSync(['--repo', repo, ...args])
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('asof plan / apply / versions / historical', () => {
  const t = tempDir('asof-cli-')
  const repo = join(t.dir, 'repo')
  let entitiesCsv = ''

  before(async () => {
    const duckdb = await DuckDbEngine.open({ path: ':memory:' })
    try {
      const { entitiesPath } = await createExampleRepo(duckdb, repo, { rows: 2000, drivers: 20, entityRows: 50 })
      entitiesCsv = join(repo, 'entities.csv')
      await duckdb.execute(sql`copy (select * from read_parquet(${entitiesPath})) to ${entitiesCsv} (format csv, header true)`)
    } finally {
      await duckdb.close()
    }
  })
  after(() => t.remove())

  it('plans, applies, and versions a changed view', () => {
    const plan = asof(repo, 'plan')
    assert.equal(plan.code, 0, plan.stderr)
    assert.match(plan.stdout, /create\s+feature_view driver_hourly_stats \(version 1\)/)
    assert.equal(asof(repo, 'apply').code, 0)

    const defs = join(repo, 'driver_repo.yaml')
    writeFileSync(defs, readFileSync(defs, 'utf8').replace('ttl: 2d', 'ttl: 10m'))
    const changed = asof(repo, '--json', 'apply')
    assert.equal(changed.code, 0, changed.stderr)
    const entry = JSON.parse(changed.stdout).entries.find((e: { name: string }) => e.name === 'driver_hourly_stats')
    assert.deepEqual([entry.action, entry.current_version, entry.new_version, entry.changed_fields], ['change', 1, 2, ['ttl_seconds']])
    const entity = JSON.parse(changed.stdout).entries.find((e: { name: string }) => e.name === 'driver')
    assert.deepEqual([entity.action, entity.current_version], ['unchanged', 1])

    const versions = asof(repo, 'versions', 'driver_hourly_stats')
    assert.equal(versions.code, 0, versions.stderr)
    assert.deepEqual(versions.stdout.trim().split('\n').map((l) => l.split(' ')[0]), ['driver_hourly_stats@1', 'driver_hourly_stats@2'])

    // A pinned version keeps its 2d ttl: on hourly data it finds more values than the 10m current version.
    const pinned = join(t.dir, 'pinned.json')
    const current = join(t.dir, 'current.json')
    assert.equal(asof(repo, 'historical', '--entities', entitiesCsv, '--features', 'driver_hourly_stats@1:conv_rate', '--output', pinned).code, 0)
    assert.equal(asof(repo, 'historical', '--entities', entitiesCsv, '--features', 'driver_hourly_stats:conv_rate', '--output', current).code, 0)
    const count = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { conv_rate: number | null }[]).filter((r) => r.conv_rate !== null).length
    assert.ok(count(pinned) > count(current), `${count(pinned)} values at 2d vs ${count(current)} at 10m`)
  })

  it('writes the same dataset as parquet, csv, json and arrow', async () => {
    const features = 'driver_hourly_stats@1:conv_rate,driver_hourly_stats@1:avg_daily_trips'
    const outputs = Object.fromEntries(['parquet', 'csv', 'json', 'arrow'].map((ext) => [ext, join(t.dir, `out.${ext}`)]))
    for (const [ext, path] of Object.entries(outputs)) {
      const r = asof(repo, 'historical', '--entities', entitiesCsv, '--features', features, '--full-feature-names', '--output', path)
      assert.equal(r.code, 0, `${ext}: ${r.stderr}`)
    }
    const columns = ['driver_id', 'event_timestamp', 'trip_completed', 'driver_hourly_stats__conv_rate', 'driver_hourly_stats__avg_daily_trips']
    const json = JSON.parse(readFileSync(outputs.json!, 'utf8')) as Record<string, unknown>[]
    assert.equal(json.length, 50)
    assert.deepEqual(Object.keys(json[0]!), columns)
    assert.match(String(json[0]!.event_timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    assert.equal(readFileSync(outputs.csv!, 'utf8').split('\n')[0], columns.join(','))
    const arrow = tableFromIPC(readFileSync(outputs.arrow!))
    assert.deepEqual(arrow.schema.fields.map((f) => f.name), columns)
    assert.equal(arrow.numRows, 50)
    const duckdb = await DuckDbEngine.open({ path: ':memory:' })
    try {
      const rows = await duckdb.query(sql`select * from read_parquet(${outputs.parquet!})`)
      assert.deepEqual(rows.map((r) => r.driver_hourly_stats__conv_rate), json.map((r) => r.driver_hourly_stats__conv_rate))
      assert.deepEqual(rows.map((r) => r.event_timestamp), json.map((r) => r.event_timestamp))
    } finally {
      await duckdb.close()
    }
  })

  it('keeps microseconds and normalizes offsets to UTC', () => {
    const entities = join(t.dir, 'entities.json')
    const out = join(t.dir, 'micro.json')
    writeFileSync(entities, JSON.stringify([
      { driver_id: 1003, event_timestamp: '2024-01-03T12:00:00.123456+02:00' },
      { event_timestamp: '2024-01-03T10:00:00Z' },
    ]))
    assert.equal(asof(repo, 'historical', '--entities', entities, '--features', 'driver_hourly_stats@1:conv_rate', '--output', out).code, 0)
    const rows = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>[]
    assert.equal(rows[0]!.event_timestamp, '2024-01-03T10:00:00.123456Z')
    assert.equal(typeof rows[0]!.conv_rate, 'number')
    assert.deepEqual(rows[1], { driver_id: null, event_timestamp: '2024-01-03T10:00:00Z', conv_rate: null })
  })

  it('takes entity rows from --entity-query, run as a query on the offline engine', () => {
    const fromFile = join(t.dir, 'from-file.json')
    const fromQuery = join(t.dir, 'from-query.json')
    const features = ['--features', 'driver_hourly_stats@1:conv_rate']
    assert.equal(asof(repo, 'historical', '--entities', entitiesCsv, ...features, '--output', fromFile).code, 0)
    const r = asof(repo, 'historical', '--entity-query', `select * from read_csv('${entitiesCsv}')`, ...features, '--output', fromQuery)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(readFileSync(fromQuery, 'utf8')), JSON.parse(readFileSync(fromFile, 'utf8')))
    const bad = asof(repo, 'historical', '--entity-query', 'select 1; drop table x', ...features, '--output', fromQuery)
    assert.equal(bad.code, 2, bad.stderr)
    assert.match(bad.stderr, /--entity-query/)
  })

  it('retrieves through a running `asof serve` that holds the database, in every output format', async () => {
    const server = await startServe(repo, ENV)
    try {
      const features = ['--features', 'driver_hourly_stats@1:conv_rate,driver_hourly_stats@1:avg_daily_trips']
      const local = JSON.parse(readFileSync(join(t.dir, 'out.json'), 'utf8')) as Record<string, unknown>[]
      for (const ext of ['json', 'parquet', 'csv', 'arrow']) {
        const path = join(t.dir, `remote.${ext}`)
        const r = asof(repo, '--json', 'historical', '--entities', entitiesCsv, ...features, '--full-feature-names', '--output', path)
        assert.equal(r.code, 0, `${ext}: ${r.stderr}`)
        assert.deepEqual([JSON.parse(r.stdout).rows, JSON.parse(r.stdout).columns.length], [50, 5], ext)
      }
      assert.deepEqual(JSON.parse(readFileSync(join(t.dir, 'remote.json'), 'utf8')), local)
      assert.equal(readFileSync(join(t.dir, 'remote.csv'), 'utf8'), readFileSync(join(t.dir, 'out.csv'), 'utf8'))
      const outside = asof(repo, 'historical', '--entities', join(t.dir, 'entities.json'), ...features, '--output', join(t.dir, 'x.json'))
      assert.equal(outside.code, 2)
      assert.match(outside.stderr, /outside the feature repo and the data roots/)
      // A server without keys (embedded, loopback) runs open, sql scope included: the query runs.
      const query = asof(repo, 'historical', '--entity-query', 'select 1', ...features, '--output', join(t.dir, 'x.json'))
      assert.equal(query.code, 2)
      assert.match(query.stderr, /no timestamp column "event_timestamp" among its 1 columns/)
    } finally {
      await server.stop()
    }
  })

  // Spawning the CLI costs seconds; the other bad inputs are covered in-process by historical.test.ts.
  it('exits 2 with one clear message on bad input', () => {
    const out = join(t.dir, 'bad.json')
    const cases: [string[], RegExp][] = [
      [['--features', 'driver_hourly_stats:nope'], /unknown feature "nope" of view driver_hourly_stats@2; known: conv_rate, acc_rate, avg_daily_trips/],
      [['--features', 'driver_hourly_stats@1:conv_rate,driver_hourly_stats:conv_rate'], /both produce the column "conv_rate"/],
      [['--features', 'driver_hourly_stats:conv_rate', '--feature-service', 'driver_activity'], /exactly one of --features or --feature-service/],
    ]
    for (const [args, message] of cases) {
      const r = asof(repo, 'historical', '--entities', entitiesCsv, ...args, '--output', out)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, message)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    }
    const badOutput = asof(repo, 'historical', '--entities', entitiesCsv, '--features', 'driver_hourly_stats:conv_rate', '--output', join(t.dir, 'x.xlsx'))
    assert.equal(badOutput.code, 2)
    assert.match(badOutput.stderr, /expected a \.parquet, \.csv, \.json or \.arrow file/)
  })
})
