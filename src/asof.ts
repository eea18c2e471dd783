import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { canonicalJson, createLogger, type AsofConfig, type Logger } from './core/index.js'
import { DuckDbEngine, PostgresEngine, type Engine } from './engines/index.js'
import { metricsRepo, openMetadataStore, type MetadataStore } from './metadata/index.js'
import { createExpectationsService, type ExpectationsService, type BatchResolver, type BatchSpec, type ResultFormat, type Suite, type ValidationResult } from './expectations/index.js'
import { ApiKeys } from './keys/index.js'
import { createCheckpointService, createSuiteGate, createSuiteStore, resolveStandardBatch, type CheckpointService, type SuiteStore } from './expectations/index.js'
import { createFeatureStore, createOnlineService, type FeatureStore, type OnlineService } from './featurestore/index.js'
import { ModelRegistry, PipelinesService, TaskRegistry, trainingTasks, datasetCheckpointRunner } from './pipelines/index.js'

/**
 * The composition root: builds the engines, the metadata store and every service from one
 * frozen config. The client's in-process implementation (`openAsof` in client/) and the API's
 * auth and routes call these services; nothing below knows about them. Users never see this
 * object: its engine and metadata handles stay behind the client interface.
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
  /** API keys for `asof serve` (only their sha256 stored). */
  readonly keys: ApiKeys
  /**
   * Validates a suite on inline records or a named batch, answering GX's result; nothing is
   * stored (checkpoints keep results).
   */
  validate(suite: Suite, data: { records: readonly Record<string, unknown>[] } | { batch: BatchSpec }, options: { resultFormat?: ResultFormat; parameters?: Record<string, unknown> }): Promise<ValidationResult>
  /** Recorded values of one metric, newest first. */
  metricHistory(query: MetricHistoryQuery): Promise<MetricHistoryPoint[]>
  close(): Promise<void>
}

export interface MetricHistoryQuery {
  metric: string
  /** The metric's arguments, e.g. `{column: 'conv_rate'}`. */
  args?: Record<string, unknown>
  batch?: string
  checkpoint?: string
  since?: string
  limit?: number
}

export interface MetricHistoryPoint {
  run_time: string
  value: unknown
  batch: string
  checkpoint: string | null
  suite_name: string
  suite_version: number | null
  result_id: string
  metric_args: unknown
}

export async function composeAsof(config: AsofConfig, options: { log?: Logger } = {}): Promise<Asof> {
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
    const expectations = createExpectationsService()
    const training = trainingTasks({ featureStore, models, duckdb, runCheckpoint: datasetCheckpointRunner(checkpoints) })
    return {
      config,
      log,
      mode: config.databaseUrl ? 'server' : 'embedded',
      metadata,
      duckdb,
      postgres,
      models,
      expectations,
      pipelines: new PipelinesService({ metadata, repoDir: config.repoDir, home: config.home, log, tasks: new TaskRegistry(training), resolveBatch, models }),
      featureStore,
      online,
      suites,
      checkpoints,
      resolveBatch,
      keys: new ApiKeys(metadata),
      validate: async (suite, data, options) => {
        if ('batch' in data) return (await expectations.validate(suite, await resolveBatch(data.batch), options)).result
        // Inline records become a JSON file DuckDB reads: nothing is written to the metadata or any table.
        const dir = mkdtempSync(join(tmpdir(), 'asof-validate-'))
        try {
          const path = join(dir, 'records.json')
          writeFileSync(path, JSON.stringify(data.records))
          const batch = { engine: duckdb, relation: { kind: 'file', path, format: 'json' } as const, description: 'inline records' }
          return (await expectations.validate(suite, batch, options)).result
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      },
      metricHistory: async (q) => {
        const rows = await metricsRepo.metricHistory(metadata.db, {
          metricName: q.metric, metricArgs: q.args && canonicalJson(q.args), batch: q.batch, checkpoint: q.checkpoint, since: q.since, limit: q.limit ?? 100,
        })
        return rows.map((r) => ({
          run_time: r.run_time, value: JSON.parse(r.value_json) as unknown, batch: r.batch, checkpoint: r.checkpoint,
          suite_name: r.suite_name, suite_version: r.suite_version, result_id: r.result_id, metric_args: JSON.parse(r.metric_args) as unknown,
        }))
      },
      close: async () => {
        for (const close of closers.reverse()) await close()
      },
    }
  } catch (e) {
    for (const close of closers.reverse()) await close().catch(() => {})
    throw e
  }
}
