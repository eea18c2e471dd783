import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify as stringifyYaml } from 'yaml'
import { composeAsof, type Asof } from '../../src/asof.js'
import { loadConfig } from '../../src/core/index.js'
import { tempDir } from '../helpers/engines.js'
import { fixtureVersion } from './models-fixtures.js'
import { writeRepoDefinition, writeTrainingRepo } from './training-fixture.js'

/**
 * The drift sensor as `asof serve` and `asof pipeline scheduler` compose it: the champion's
 * training dataset retrieved by the feature store, the current batch a feature view resolved by
 * the composition root.
 */
describe('drift sensor through composeAsof (embedded)', () => {
  const repo = tempDir('asof-drift-')
  let asof: Asof
  before(async () => {
    writeTrainingRepo(repo.dir)
    writeFileSync(join(repo.dir, 'pipelines', 'retrain.yaml'), stringifyYaml({
      name: 'retrain',
      sensors: { drift: { reference: { type: 'model', name: 'driver_trip_model' }, current: { type: 'feature_view', name: 'driver_hourly_stats' } } },
      tasks: [{ id: 'a', uses: 'noop' }],
    }))
    asof = await composeAsof(loadConfig({ repoDir: repo.dir, logLevel: 'silent' }, {}))
    await asof.featureStore.apply()
    const dataset = join(repo.dir, 'dataset.parquet')
    await asof.featureStore.writeHistorical({ entities: { kind: 'file', path: join(repo.dir, 'data', 'driver_entities.csv') }, features: ['driver_hourly_stats:conv_rate'] }, dataset)
    const v = fixtureVersion('driver_trip_model', 'drift-run', 0.9)
    await asof.models.register({ ...v, lineage: { ...v.lineage, dataset: { uri: dataset, sha256: 'x', rows: 0 } } })
    await asof.models.setAlias('driver_trip_model', 'champion', 1)
  })
  after(async () => {
    await asof?.close()
    repo.remove()
  })

  it('starts one run when a new feature-view version drifts from the champion\'s training data', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z')
    const scheduler = asof.pipelines.scheduler({ now: () => new Date(now) })
    const tick = async () => {
      now += 60_000
      return (await scheduler.tick()).claimed.filter((r) => r.pipeline === 'retrain').length
    }
    assert.equal(await tick(), 0, 'the view reads what the champion was trained on')
    writeRepoDefinition(repo.dir, 'data/driver_stats_v2.csv') // conv_rate × 10
    await asof.featureStore.apply()
    assert.equal(await tick(), 1)
    assert.equal(await tick(), 0, 'the same drifted data, no second run')
  })
})
