import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isAsofError, loadConfig } from '../../src/core/index.js'
import { composeAsof, type Asof } from '../../src/asof.js'
import { tempDir } from '../helpers/engines.js'

// The composition root end to end (embedded): a feature view tagged `asof.suite` is validated by
// that suite before materialization writes it, and a failing batch is refused and recorded.
const REPO = `entities:
  - {name: driver, join_keys: [driver_id]}
sources:
  - {name: stats, kind: file, path: data/stats.csv, timestamp_field: event_timestamp}
feature_views:
  - name: driver_stats
    entities: [driver]
    source: stats
    schema: [{name: conv_rate, dtype: float64}]
    tags: {asof.suite: driver_checks}
`
const csv = (rate: number) => `driver_id,event_timestamp,conv_rate\n1001,2021-01-01T10:00:00Z,0.5\n1002,2021-01-01T11:00:00Z,${rate}\n`

describe('materialization gate through composeAsof', () => {
  const repo = tempDir('asof-gate-')
  let asof: Asof
  before(async () => {
    mkdirSync(join(repo.dir, 'data'))
    writeFileSync(join(repo.dir, 'asof.yaml'), 'project: gate_test\n')
    writeFileSync(join(repo.dir, 'driver.yaml'), REPO)
    writeFileSync(join(repo.dir, 'data', 'stats.csv'), csv(0.7))
    asof = await composeAsof(loadConfig({ repoDir: repo.dir }, {}))
    await asof.suites.save({ name: 'driver_checks', expectations: [{ type: 'expect_column_values_to_be_between', kwargs: { column: 'conv_rate', min_value: 0, max_value: 1 } }] })
    await asof.featureStore.apply()
  })
  after(async () => { await asof?.close(); repo.remove() })

  it('writes a passing batch and refuses a failing one, recording both results', async () => {
    await asof.online.materialize('2021-01-01T00:00:00Z', '2021-01-02T00:00:00Z')
    const passed = await asof.checkpoints.latestCheckpointResult('materialize.driver_stats')
    assert.equal(passed?.success, true)
    writeFileSync(join(repo.dir, 'data', 'stats.csv'), csv(5))
    await assert.rejects(asof.online.materialize('2021-01-01T00:00:00Z', '2021-01-02T00:00:00Z'), (e) => {
      assert.ok(isAsofError(e))
      assert.match(e.message, /suite driver_checks failed on driver_stats@1: expect_column_values_to_be_between/)
      return true
    })
    const refused = await asof.checkpoints.latestCheckpointResult('materialize.driver_stats')
    assert.equal(refused?.success, false)
    const stored = await asof.checkpoints.result(refused!.result_ids[0]!)
    assert.equal(stored.batch, 'feature_view:driver_stats@1')
    assert.equal(stored.result.results[0]!.result.unexpected_count, 1)
  })
})
