import { Errors, type Logger } from '../core/index.js'
import { PostgresEngine, type DuckDbEngine, type Engine, type EngineKind, type Relation, type ResultSet } from '../engines/index.js'
import { registryRepo, type MetadataStore, type RegistryKind, type RegistryObjectRow } from '../metadata/index.js'
import type { StoredFeatureView } from './definitions/feature-view.js'
import type { SourceDefinition } from './definitions/source.js'
import { loadFeatureRepo, readRepoConfig, type FeatureRepo } from './definitions/repo-loader.js'
import type { RepoConfig } from './definitions/repo-config.js'
import { applyRepo } from './registry/apply.js'
import { planRepo, type RegistryPlan } from './registry/plan.js'
import { getObjectVersion, listObjectVersions, type RegistryObjectVersion } from './registry/versions.js'
import type { RecordBatch } from 'apache-arrow'
import { arrowRecordBatches } from './retrieval/output-file.js'
import { engineFor, resolveStoredView, retrieveHistorical, sourceRelation, writeHistorical, type RetrievalContext, type RetrievalRead, type RetrievalRequest } from './retrieval/historical.js'

export interface FeatureStoreDeps {
  readonly metadata: MetadataStore
  /** Reads file sources and DuckDB tables (the metadata database itself in embedded mode). */
  readonly duckdb: DuckDbEngine
  /** Reads `kind: postgres` sources (server mode); otherwise asof.yaml's `storage.postgres_url` is opened on first use. */
  readonly postgres?: PostgresEngine
  readonly repoDir: string
  readonly log: Logger
}

/** A registry object as listed: its current version. */
export interface RegistryObjectSummary {
  readonly kind: RegistryKind
  readonly name: string
  readonly currentVersion: number
  readonly specHash: string
  readonly createdAt: string
  readonly updatedAt: string
}

/** One version of a feature view with the relation its source reads and the engine that reads it. */
export interface ResolvedFeatureView {
  readonly name: string
  readonly version: number
  readonly spec: StoredFeatureView
  readonly engine: Engine
  readonly engineKind: EngineKind
  readonly relation: Relation
}

/** A source as defined in the feature repo, ready to read. */
export interface ResolvedSource {
  readonly name: string
  readonly source: SourceDefinition
  readonly engine: Engine
  readonly relation: Relation
}

/** The feature store's public surface; api/, cli/ and pipelines/ call only this. */
export interface FeatureStore {
  /** From asof.yaml; `default` when the repo directory has none. */
  readonly project: string
  readonly repoDir: string
  /** Loads and checks the definitions in the repo directory. */
  loadRepo(): FeatureRepo
  /** What `apply` would do, per object. */
  plan(): Promise<RegistryPlan>
  /** Applies the repo in one transaction; returns the applied plan. */
  apply(): Promise<RegistryPlan>
  listObjects(kind?: RegistryKind): Promise<RegistryObjectSummary[]>
  /** One version of an object; absent, a not-found error, or bad input when `asked` as a `reference` (a push naming its source). */
  getObject(kind: RegistryKind, name: string, version?: number, asked?: 'reference' | 'resource'): Promise<RegistryObjectVersion>
  listVersions(kind: RegistryKind, name: string): Promise<RegistryObjectVersion[]>
  /** A view version (current without `version`) with its source relation, for validation and materialization. */
  resolveFeatureView(name: string, version?: number): Promise<ResolvedFeatureView>
  /** A source of the repo's definitions with the relation it reads and the engine that reads it (for validation). */
  resolveSource(name: string): Promise<ResolvedSource>
  /** Point-in-time retrieval; rows in entity-row order. */
  historical(request: RetrievalRequest): Promise<ResultSet>
  /** Point-in-time retrieval into a .parquet, .csv, .json or .arrow file; also says which versions it read. */
  writeHistorical(request: RetrievalRequest, outputPath: string): Promise<{ rows: number; columns: string[]; read: RetrievalRead }>
  /** A retrieval as Arrow record batches (for streaming it over HTTP without a file). */
  historicalBatches(request: RetrievalRequest): Promise<Iterable<RecordBatch>>
  /** Closes what the store opened itself (a PostgreSQL connection for sources). */
  close(): Promise<void>
}

export function createFeatureStore(deps: FeatureStoreDeps): FeatureStore {
  const config: RepoConfig | undefined = readRepoConfig(deps.repoDir)
  const project = config?.project ?? 'default'
  let ownPostgres: Promise<PostgresEngine> | undefined
  const ctx: RetrievalContext = {
    db: deps.metadata.db,
    project,
    repoDir: deps.repoDir,
    duckdb: deps.duckdb,
    postgres: async (forSource) => {
      if (deps.postgres) return deps.postgres
      const url = config?.storage.postgres_url
      if (!url) {
        throw Errors.badInput(`source ${forSource}`, 'reads PostgreSQL, but no PostgreSQL is configured: set storage.postgres_url in asof.yaml, or run in server mode (ASOF_DATABASE_URL)')
      }
      ownPostgres ??= PostgresEngine.open(url)
      return ownPostgres
    },
  }
  const repo = () => loadFeatureRepo(deps.repoDir)
  return {
    project,
    repoDir: deps.repoDir,
    loadRepo: repo,
    plan: () => planRepo(deps.metadata.db, repo()),
    apply: async () => {
      const plan = await applyRepo(deps.metadata, repo())
      deps.log.info({ project, changes: plan.writes.map((w) => `${w.kind} ${w.name}@${w.version}`), annotated: plan.updates.map((u) => `${u.kind} ${u.name}`), deleted: plan.deletes.map((d) => `${d.kind} ${d.name}`) }, 'applied feature repo')
      return plan
    },
    listObjects: async (kind) => (await registryRepo.listObjects(deps.metadata.db, project, kind)).map(summary),
    getObject: (kind, name, version, asked = 'resource') => getObjectVersion(deps.metadata.db, project, kind, name, version, asked),
    listVersions: (kind, name) => listObjectVersions(deps.metadata.db, project, kind, name),
    resolveFeatureView: (name, version) => resolveStoredView(ctx, name, version),
    resolveSource: async (name) => {
      const { sources } = repo()
      const source = sources.find((s) => s.name === name)
      if (!source) throw Errors.notFound('source', name, sources.map((s) => s.name))
      const { engine: engineKind, relation } = sourceRelation(source, deps.repoDir)
      return { name, source, engine: await engineFor(ctx, source, engineKind), relation }
    },
    historical: (request) => retrieveHistorical(ctx, request),
    writeHistorical: (request, outputPath) => writeHistorical(ctx, request, outputPath),
    historicalBatches: async (request) => arrowRecordBatches(await retrieveHistorical(ctx, request)),
    close: async () => {
      if (ownPostgres) await (await ownPostgres).close()
    },
  }
}

function summary(row: RegistryObjectRow): RegistryObjectSummary {
  return {
    kind: row.kind,
    name: row.name,
    currentVersion: Number(row.current_version),
    specHash: row.spec_hash,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  }
}
