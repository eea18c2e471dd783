import { join } from 'node:path'
import { createLogger, type AsofConfig, type Logger } from './core/index.js'
import { DuckDbEngine, PostgresEngine, type Engine } from './engines/index.js'
import { openMetadataStore, type MetadataStore } from './metadata/index.js'
import { createExpectationsService, type ExpectationsService, type BatchResolver } from './expectations/index.js'
import { createCheckpointService, createSuiteGate, createSuiteStore, resolveStandardBatch, type CheckpointService, type SuiteStore } from './expectations/index.js'
import { createFeatureStore, createOnlineService, type FeatureStore, type OnlineService } from './featurestore/index.js'
import { ModelRegistry, PipelinesService, TaskRegistry, trainingTasks, datasetCheckpointRunner } from './pipelines/index.js'

/**
 * The composition root: builds the engines, the metadata store and every service from one
 * frozen config. api/ and cli/ call these services; nothing below knows about them.
 *
 * Storage modes (DESIGN.md): with `databaseUrl` unset, one DuckDB file holds metadata, the
 * online store and offline compute (embedded). With it set, metadata and the online store live
 * in PostgreSQL and DuckDB runs in memory for file sources (server).
 */
export interface Asof {
  readonly config: AsofConfig
  readonly log: Logger
  readonly mode: 'embedded' | 'server'
  readonly metadata: MetadataStore
  /** DuckDB: files and DuckDB tables (the same database as metadata in embedded mode). */
  readonly duckdb: DuckDbEngine
  /** PostgreSQL, in server mode. */
  readonly postgres?: PostgresEngine
  /** The model registry (versions, aliases, tags, lineage, webhooks). */
  readonly models: ModelRegistry
  /** The expectations engine: GX suites validated on a batch, compiled to one scan per batch. */
  readonly expectations: ExpectationsService
  /** Pipelines: definitions in `<repo>/pipelines`, runs, resume, backfill, the scheduler. */
  readonly pipelines: PipelinesService
  /** Feature definitions, the versioned registry and point-in-time retrieval. */
  readonly featureStore: FeatureStore
  /** Materialization, online reads (Feast's `/get-online-features`) and pushes. */
  readonly online: OnlineService
  /** Expectation suites stored with versions (GX 1.x JSON). */
  readonly suites: SuiteStore
  /** Checkpoints (`<repo>/checkpoints/*.json`): run, latest result (the gate), stored results, data docs. */
  readonly checkpoints: CheckpointService
  /** A batch spec (file, table, query, feature view at a version, dataset) as a relation on its engine. */
  readonly resolveBatch: BatchResolver
  close(): Promise<void>
}

export async function openAsof(config: AsofConfig, options: { log?: Logger } = {}): Promise<Asof> {
  const log = options.log ?? createLogger(config.logLevel)
  const closers: (() => Promise<void>)[] = []
  try {
    let duckdb: DuckDbEngine
    let postgres: PostgresEngine | undefined
    let metadataEngine: Engine
    if (config.databaseUrl) {
      postgres = await PostgresEngine.open(config.databaseUrl)
      closers.push(() => postgres!.close())
      duckdb = await DuckDbEngine.open({ path: ':memory:' })
      metadataEngine = postgres
    } else {
      duckdb = await DuckDbEngine.open({ path: join(config.home, 'asof.duckdb') })
      metadataEngine = duckdb
    }
    closers.push(() => duckdb.close())
    const metadata = await openMetadataStore(metadataEngine)
    const featureStore = createFeatureStore({ metadata, duckdb, postgres, repoDir: config.repoDir, log })
    closers.push(() => featureStore.close())
    const suites = createSuiteStore(metadata)
    const resolveBatch: BatchResolver = async (spec) => {
      if (spec.type === 'source') {
        const source = await featureStore.resolveSource(spec.name)
        return { engine: source.engine, relation: source.relation, description: `source:${source.name}` }
      }
      if (spec.type !== 'feature_view') return resolveStandardBatch(spec, { duckdb, postgres }, config.repoDir)
      const view = await featureStore.resolveFeatureView(spec.name, spec.version)
      return { engine: view.engine, relation: view.relation, description: `feature_view:${view.name}@${view.version}` }
    }
    const checkpoints = createCheckpointService({
      store: metadata, suites, repoDir: config.repoDir, docsDir: join(config.home, 'data-docs'), log, resolveBatch,
    })
    // Materialization validates each batch with the suite named by the view's `asof.suite` tag.
    const gate = createSuiteGate(checkpoints, async (view, version) => (await featureStore.resolveFeatureView(view, version)).spec.tags['asof.suite'])
    const models = new ModelRegistry(metadata, { log })
    const online = createOnlineService({ featureStore, metadata, log, gate, cacheEntries: config.onlineCacheEntries })
    closers.push(() => online.close())
    // The training pipeline's task types (extract → … → register) over the services above.
    const training = trainingTasks({ featureStore, models, duckdb, runCheckpoint: datasetCheckpointRunner(checkpoints) })
    return {
      config,
      log,
      mode: config.databaseUrl ? 'server' : 'embedded',
      metadata,
      duckdb,
      postgres,
      models,
      expectations: createExpectationsService(),
      pipelines: new PipelinesService({ metadata, repoDir: config.repoDir, home: config.home, log, tasks: new TaskRegistry(training), resolveBatch, models }),
      featureStore,
      online,
      suites,
      checkpoints,
      resolveBatch,
      close: async () => {
        for (const close of closers.reverse()) await close()
      },
    }
  } catch (e) {
    for (const close of closers.reverse()) await close().catch(() => {})
    throw e
  }
}
