import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { ENGINES, tempDir } from '../helpers/engines.js'
import { hashFile, parseOrThrow } from '../../src/core/index.js'
import { resultsRepo } from '../../src/metadata/index.js'
import { loadPipelines } from '../../src/pipelines/index.js'
import { extractSpecSchema } from '../../src/pipelines/training/extract.js'
import { composeTraining as compose, writeRepoDefinition, writeTrainingRepo } from './training-fixture.js'

function taskStates(summary: { tasks: { task_id: string; state: string }[] }): Record<string, string> {
  return Object.fromEntries(summary.tasks.map((t) => [t.task_id, t.state]))
}

for (const e of ENGINES) describe(`${e.kind}: training pipeline end to end`, { skip: e.skip }, () => {
  const repo = tempDir()
  let asof: Awaited<ReturnType<typeof compose>>
  before(async () => {
    writeTrainingRepo(repo.dir)
    asof = await compose(repo.dir, e)
    await asof.featureStore.apply()
  })
  after(async () => {
    await asof.close()
    repo.remove()
  })

  it('trains on validated, pinned features and registers the model with metrics and lineage', async () => {
    const [spec] = loadPipelines(repo.dir)
    const summary = await asof.runner.run(spec!, { logicalDate: '2024-02-01T00:00:00Z' })
    assert.equal(summary.run.state, 'success', JSON.stringify(summary.tasks.map((t) => [t.task_id, t.state, t.error])))
    const v = await asof.models.resolve('driver_trip_model')
    assert.equal(v.version, 1)
    assert.deepEqual(v.aliases, ['challenger'])
    assert.equal(v.run_id, summary.run.id)
    assert.equal(v.artifact_hash, await hashFile(v.artifact_uri))
    assert.deepEqual(v.lineage.feature_views, [{ name: 'driver_hourly_stats', version: 1 }])
    assert.deepEqual(v.lineage.feature_refs, ['driver_hourly_stats@1:conv_rate', 'driver_hourly_stats@1:acc_rate', 'driver_hourly_stats@1:avg_daily_trips'])
    assert.equal(v.lineage.dataset.sha256, await hashFile(v.lineage.dataset.uri))
    const stored = await resultsRepo.getResult(asof.metadata.db, v.lineage.checkpoint_result_ids[0]!)
    assert.equal(stored?.success, true)
    assert.ok(v.metrics.overall.roc_auc! > 0.75, `roc_auc ${v.metrics.overall.roc_auc}`)
    assert.deepEqual(Object.keys(v.metrics.slices!.values), ['Austin', 'Boston', 'Chicago'])
    assert.equal(v.training.rows.train + v.training.rows.test, v.training.rows.total)
    assert.equal(v.training.rows.total, v.lineage.dataset.rows)
    const importance = v.training.permutation_importance
    assert.ok(importance.conv_rate! > importance.acc_rate! && importance.conv_rate! > importance.avg_daily_trips!, JSON.stringify(importance))
    assert.ok(v.training.numeric.conv_rate!.max! <= 1)
    assert.deepEqual(v.signature.inputs, [{ name: 'conv_rate', type: 'double' }, { name: 'acc_rate', type: 'double' }, { name: 'avg_daily_trips', type: 'long' }])
  })

  it('keeps reading the pinned feature-view version after a new apply', async () => {
    writeRepoDefinition(repo.dir, 'data/driver_stats_v2.csv')
    const plan = await asof.featureStore.apply()
    assert.ok(plan.writes.some((w) => w.name === 'driver_hourly_stats' && w.version === 2), JSON.stringify(plan.writes))
    const [spec] = loadPipelines(repo.dir)
    const summary = await asof.runner.run(spec!, { logicalDate: '2024-02-02T00:00:00Z' })
    assert.equal(summary.run.state, 'success', JSON.stringify(summary.tasks.map((t) => [t.task_id, t.state, t.error])))
    const v = await asof.models.resolve('driver_trip_model')
    assert.equal(v.version, 2)
    assert.deepEqual(v.lineage.feature_views, [{ name: 'driver_hourly_stats', version: 1 }])
    // version 2 multiplies conv_rate by 10: the pinned pipeline still sees values in [0, 1]
    assert.ok(v.training.numeric.conv_rate!.max! <= 1, JSON.stringify(v.training.numeric.conv_rate))
    const unpinned = await asof.featureStore.historical({ entities: { kind: 'file', path: join(repo.dir, 'data', 'driver_entities.csv') }, features: ['driver_hourly_stats:conv_rate'] })
    assert.ok(unpinned.rows.some((r) => (r.conv_rate as number) > 1), 'the current version reads the new source')
  })

  it('a failing checkpoint stops the run before training and registers nothing', async () => {
    writeFileSync(join(repo.dir, 'suites', 'training_data.json'), JSON.stringify({
      name: 'training_data', expectations: [{ type: 'expect_column_values_to_be_between', kwargs: { column: 'conv_rate', min_value: 0, max_value: 0.1 } }],
    }))
    const before = (await asof.models.search({ name: 'driver_trip_model' })).length
    const [spec] = loadPipelines(repo.dir)
    const summary = await asof.runner.run(spec!, { logicalDate: '2024-02-03T00:00:00Z' })
    assert.equal(summary.run.state, 'failed')
    const states = taskStates(summary)
    assert.equal(states.extract, 'success')
    assert.equal(states.validate, 'failed')
    for (const t of ['prepare', 'train', 'evaluate', 'validate_model', 'register']) assert.equal(states[t], 'upstream_failed', t)
    const why = summary.tasks.find((t) => t.task_id === 'validate')!.error ?? ''
    assert.match(why, /checkpoint training_data failed on the training dataset: suite training_data: 1 of 1 expectations failed/)
    assert.equal((await asof.models.search({ name: 'driver_trip_model' })).length, before)
    assert.equal(existsSync(join(repo.dir, '.asof', 'artifacts', 'training', summary.run.id, 'train')), false)
  })
})

/** The service the tests train from: the entity rows name the driver `driver`, its join_key_map maps the view's key to it. */
function driverService(features: string[]) {
  return { name: 'driver_model', features: [{ view: 'driver_hourly_stats', features, join_key_map: { driver_id: 'driver' } }] }
}

/** Points the repo's training pipeline's extract at a feature service with the given pins. */
function extractFromService(dir: string, extract: { feature_service: string; versions?: Record<string, number> }): void {
  const path = join(dir, 'pipelines', 'training.yaml')
  const pipeline = parseYaml(readFileSync(path, 'utf8'))
  pipeline.params.entities = 'data/driver_entities_by_driver.csv'
  const task = pipeline.tasks.find((t: { id: string }) => t.id === 'extract')
  delete task.params.features
  delete task.params.versions
  Object.assign(task.params, extract)
  writeFileSync(path, stringifyYaml(pipeline))
}

for (const e of ENGINES) describe(`${e.kind}: training pipeline from a feature service`, { skip: e.skip }, () => {
  const repo = tempDir()
  let asof: Awaited<ReturnType<typeof compose>>
  before(async () => {
    writeTrainingRepo(repo.dir)
    writeRepoDefinition(repo.dir, 'data/driver_stats.csv', [driverService(['conv_rate', 'acc_rate', 'avg_daily_trips'])])
    const entities = readFileSync(join(repo.dir, 'data', 'driver_entities.csv'), 'utf8')
    writeFileSync(join(repo.dir, 'data', 'driver_entities_by_driver.csv'), entities.replace(/^driver_id,/, 'driver,'))
    asof = await compose(repo.dir, e)
    await asof.featureStore.apply()
  })
  after(async () => {
    await asof.close()
    repo.remove()
  })

  it('takes exactly one of features and feature_service', () => {
    assert.throws(() => parseOrThrow(extractSpecSchema, { entities: 'e.csv', features: ['v:f'], feature_service: 's' }, 'extract'),
      /extract: features: give exactly one of features \(a list of view:feature references\) or feature_service/)
    assert.throws(() => parseOrThrow(extractSpecSchema, { entities: 'e.csv' }, 'extract'), /give exactly one of features/)
    assert.throws(() => parseOrThrow(extractSpecSchema, { entities: 'e.csv', feature_service: 'svc@x' }, 'extract'), /feature_service: expected a feature service name/)
  })

  it('trains from a pinned service and reads the same versions after applies that change the view and the service', async () => {
    extractFromService(repo.dir, { feature_service: 'driver_model@1', versions: { driver_hourly_stats: 1 } })
    const pinnedLineage = {
      feature_views: [{ name: 'driver_hourly_stats', version: 1 }],
      feature_service: { name: 'driver_model', version: 1 },
      feature_refs: ['driver_hourly_stats@1:conv_rate', 'driver_hourly_stats@1:acc_rate', 'driver_hourly_stats@1:avg_daily_trips'],
    }
    const first = await asof.runner.run(loadPipelines(repo.dir)[0]!, { logicalDate: '2024-03-01T00:00:00Z' })
    assert.equal(first.run.state, 'success', JSON.stringify(first.tasks.map((t) => [t.task_id, t.state, t.error])))
    const v1 = await asof.models.resolve('driver_trip_model')
    const { feature_views, feature_service, feature_refs } = v1.lineage
    assert.deepEqual({ feature_views, feature_service, feature_refs }, pinnedLineage)
    assert.ok(v1.metrics.overall.roc_auc! > 0.75, `roc_auc ${v1.metrics.overall.roc_auc}`)

    // version 2 of the view multiplies conv_rate by 10; version 2 of the service drops avg_daily_trips
    writeRepoDefinition(repo.dir, 'data/driver_stats_v2.csv', [driverService(['conv_rate', 'acc_rate'])])
    const plan = await asof.featureStore.apply()
    const written = plan.writes.map((w) => `${w.name}@${w.version}`)
    for (const w of ['driver_hourly_stats@2', 'driver_model@2']) assert.ok(written.includes(w), JSON.stringify(written))
    const second = await asof.runner.run(loadPipelines(repo.dir)[0]!, { logicalDate: '2024-03-02T00:00:00Z' })
    assert.equal(second.run.state, 'success', JSON.stringify(second.tasks.map((t) => [t.task_id, t.state, t.error])))
    const v2 = await asof.models.resolve('driver_trip_model')
    assert.equal(v2.version, 2)
    assert.deepEqual({ feature_views: v2.lineage.feature_views, feature_service: v2.lineage.feature_service, feature_refs: v2.lineage.feature_refs }, pinnedLineage)
    assert.ok(v2.training.numeric.conv_rate!.max! <= 1, JSON.stringify(v2.training.numeric.conv_rate))
    assert.equal(v2.lineage.dataset.sha256, v1.lineage.dataset.sha256, 'the same entity rows and pinned versions give the same dataset')
  })

  it('without pins reads the current versions and records them on the run', async () => {
    extractFromService(repo.dir, { feature_service: 'driver_model' })
    const summary = await asof.runner.run(loadPipelines(repo.dir)[0]!, { logicalDate: '2024-03-03T00:00:00Z' })
    // the current view scales conv_rate past the suite's bound of 1: the checkpoint stops the run
    assert.equal(taskStates(summary).validate, 'failed')
    const extract = JSON.parse(summary.tasks.find((t) => t.task_id === 'extract')!.output!)
    assert.deepEqual(extract.feature_views, [{ name: 'driver_hourly_stats', version: 2 }])
    assert.deepEqual(extract.feature_service, { name: 'driver_model', version: 2 })
    assert.deepEqual(extract.feature_refs, ['driver_hourly_stats@2:conv_rate', 'driver_hourly_stats@2:acc_rate'])
  })

  it('rejects a pin for a view the service does not read, naming it', async () => {
    extractFromService(repo.dir, { feature_service: 'driver_model', versions: { driver_daily_stats: 1 } })
    const summary = await asof.runner.run(loadPipelines(repo.dir)[0]!, { logicalDate: '2024-03-04T00:00:00Z' })
    assert.equal(taskStates(summary).extract, 'failed')
    assert.match(summary.tasks.find((t) => t.task_id === 'extract')!.error ?? '', /unknown view "driver_daily_stats" of feature service driver_model; known: driver_hourly_stats/)
  })
})
