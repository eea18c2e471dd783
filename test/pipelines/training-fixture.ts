import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { createLogger } from '../../src/core/index.js'
import { DuckDbEngine } from '../../src/engines/index.js'
import { openMetadataStore } from '../../src/metadata/index.js'
import { createFeatureStore } from '../../src/featurestore/index.js'
import { createCheckpointService, createSuiteStore, resolveStandardBatch } from '../../src/expectations/index.js'
import { ModelRegistry, PipelineRunner, TaskRegistry } from '../../src/pipelines/index.js'
import { trainingTasks } from '../../src/pipelines/training/tasks.js'
import { datasetCheckpointRunner } from '../../src/pipelines/training/checkpoint-gate.js'
import { seededRandom } from '../../src/pipelines/training/prepare.js'
import type { TestEngine } from '../helpers/engines.js'

const log = createLogger('silent')

export const TEMPLATE = resolve(import.meta.dirname, '..', '..', 'src', 'pipelines', 'training', 'training-pipeline.yaml')
const CITIES = ['Austin', 'Boston', 'Chicago']

/**
 * A small driver repo for the training pipeline: hourly driver stats (CSV), entity rows whose
 * label `trip_completed` follows conv_rate (so a model can learn it), a city to slice by, the
 * template pipeline with tiny epochs, and a suite for the training data's checkpoint.
 */
export function writeTrainingRepo(dir: string, options: { drivers?: number; hours?: number; epochs?: number; checkpointEvery?: number; suiteMaxConvRate?: number } = {}): void {
  const drivers = options.drivers ?? 30
  const hours = options.hours ?? 24
  const random = seededRandom(11)
  mkdirSync(join(dir, 'data'), { recursive: true })
  mkdirSync(join(dir, 'pipelines'), { recursive: true })
  mkdirSync(join(dir, 'suites'), { recursive: true })
  mkdirSync(join(dir, 'checkpoints'), { recursive: true })
  const start = Date.UTC(2024, 0, 1)
  const stats: string[] = ['driver_id,event_timestamp,created,conv_rate,acc_rate,avg_daily_trips']
  const statsV2: string[] = [stats[0]!]
  const entities: string[] = ['driver_id,event_timestamp,city,trip_completed']
  for (let d = 0; d < drivers; d++) {
    for (let h = 0; h < hours; h++) {
      const ts = new Date(start + h * 3600_000).toISOString()
      const conv = Math.round(random() * 1e6) / 1e6
      const acc = Math.round(random() * 1e6) / 1e6
      const trips = Math.floor(random() * 1000)
      stats.push(`${1000 + d},${ts},${ts},${conv},${acc},${trips}`)
      statsV2.push(`${1000 + d},${ts},${ts},${conv * 10},${acc},${trips}`)
      if (random() < 0.6) {
        const label = (conv > 0.5) !== (random() < 0.05) ? 1 : 0
        entities.push(`${1000 + d},${new Date(start + h * 3600_000 + 600_000).toISOString()},${CITIES[d % CITIES.length]},${label}`)
      }
    }
  }
  writeFileSync(join(dir, 'data', 'driver_stats.csv'), `${stats.join('\n')}\n`)
  writeFileSync(join(dir, 'data', 'driver_stats_v2.csv'), `${statsV2.join('\n')}\n`)
  writeFileSync(join(dir, 'data', 'driver_entities.csv'), `${entities.join('\n')}\n`)
  writeFileSync(join(dir, 'asof.yaml'), 'project: training_test\n')
  writeRepoDefinition(dir, 'data/driver_stats.csv')
  writeFileSync(join(dir, 'suites', 'training_data.json'), JSON.stringify({
    name: 'training_data',
    expectations: [
      { type: 'expect_column_values_to_not_be_null', kwargs: { column: 'trip_completed' } },
      { type: 'expect_column_values_to_be_between', kwargs: { column: 'conv_rate', min_value: 0, max_value: options.suiteMaxConvRate ?? 1 } },
    ],
  }))
  // The batch is a placeholder: the validate task replaces it with the extracted dataset.
  writeFileSync(join(dir, 'checkpoints', 'training_data.json'), JSON.stringify({
    name: 'training_data',
    validations: [{ batch: { type: 'dataset', path: 'data/placeholder.parquet' }, suite: { path: 'suites/training_data.json' } }],
  }))
  const pipeline = parseYaml(readFileSync(TEMPLATE, 'utf8'))
  pipeline.params = { ...pipeline.params, entities: 'data/driver_entities.csv', epochs: options.epochs ?? 4 }
  const task = (id: string) => pipeline.tasks.find((t: { id: string }) => t.id === id)
  task('prepare').params.slice_column = 'city'
  task('train').params.hidden_units = [4]
  task('train').params.checkpoint_every = options.checkpointEvery ?? 1
  task('train').params.learning_rate = 0.05
  // The template's 50 ms budget is for production; a loaded CI machine can stall a single prediction.
  task('validate_model').params.latency_budget_ms = 5000
  writeFileSync(join(dir, 'pipelines', 'training.yaml'), stringifyYaml(pipeline))
}

/** (Re)writes the feature repo's definition with the driver view reading `statsPath`, and any feature services. */
export function writeRepoDefinition(dir: string, statsPath: string, featureServices: Record<string, unknown>[] = []): void {
  writeFileSync(join(dir, 'driver_repo.yaml'), stringifyYaml({
    ...(featureServices.length ? { feature_services: featureServices } : {}),
    entities: [{ name: 'driver', join_keys: ['driver_id'] }],
    sources: [{ name: 'driver_stats_source', kind: 'file', path: statsPath, timestamp_field: 'event_timestamp', created_timestamp_column: 'created' }],
    feature_views: [{
      name: 'driver_hourly_stats', entities: ['driver'], ttl: '2d', source: 'driver_stats_source',
      schema: [{ name: 'conv_rate', dtype: 'float64' }, { name: 'acc_rate', dtype: 'float64' }, { name: 'avg_daily_trips', dtype: 'int64' }],
    }],
  }))
}

/**
 * The services the training tasks use, as src/asof.ts composes them: metadata on the test engine
 * (a DuckDB file, or a PostgreSQL schema as in server mode), files read by DuckDB.
 */
export async function composeTraining(dir: string, testEngine: TestEngine) {
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
