import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ENGINES, tempDir, type TestEngine } from '../helpers/engines.js'
import { createLogger, hashFile } from '../../src/core/index.js'
import { DuckDbEngine } from '../../src/engines/index.js'
import { openMetadataStore, resultsRepo } from '../../src/metadata/index.js'
import { createFeatureStore } from '../../src/featurestore/index.js'
import { createCheckpointService, createSuiteStore, resolveStandardBatch } from '../../src/expectations/index.js'
import { ModelRegistry, PipelineRunner, TaskRegistry, loadPipelines } from '../../src/pipelines/index.js'
import { trainingTasks } from '../../src/pipelines/training/tasks.js'
import { datasetCheckpointRunner } from '../../src/pipelines/training/checkpoint-gate.js'
import { writeRepoDefinition, writeTrainingRepo } from './training-fixture.js'

const log = createLogger('silent')

/**
 * The services the training tasks use, as src/asof.ts composes them: metadata on the test engine
 * (a DuckDB file, or a PostgreSQL schema as in server mode), files read by DuckDB.
 */
async function compose(dir: string, testEngine: TestEngine) {
  const opened = await testEngine.open()
  const engine = opened.engine.kind === 'duckdb' ? opened.engine as DuckDbEngine : await DuckDbEngine.open({ path: ':memory:' })
  const metadata = await openMetadataStore(opened.engine)
  const featureStore = createFeatureStore({ metadata, duckdb: engine, repoDir: dir, log })
  const models = new ModelRegistry(metadata, { log })
  const checkpoints = createCheckpointService({
    store: metadata, suites: createSuiteStore(metadata), repoDir: dir, docsDir: join(dir, '.asof', 'docs'), log,
    resolveBatch: async (spec) => {
      if (spec.type === 'feature_view' || spec.type === 'source') throw new Error('this test validates datasets only')
      return resolveStandardBatch(spec, { duckdb: engine }, dir)!
    },
  })
  const tasks = new TaskRegistry(trainingTasks({
    featureStore, models, duckdb: engine,
    runCheckpoint: datasetCheckpointRunner(checkpoints),
  }))
  const runner = new PipelineRunner({ metadata, tasks, home: join(dir, '.asof'), log })
  const close = async () => {
    if (engine !== opened.engine) await engine.close()
    await opened.dispose()
  }
  return { metadata, featureStore, models, runner, close }
}

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
