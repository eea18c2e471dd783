import { extname, isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import { Errors } from '../core/index.js'
import type { Engine, EngineKind, FileFormat, Relation } from '../engines/index.js'

/**
 * What a checkpoint validates: a file, a table, a query, a feature view at a version, a source of
 * the feature repo, or a retrieved training dataset (a Parquet file). Files, tables and queries are
 * read by the engines (`resolveStandardBatch`); feature views and sources are resolved by the
 * composition root, which passes a `BatchResolver` in, so expectations never import the feature store.
 */
export const batchSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('file'), path: z.string().min(1), format: z.enum(['parquet', 'csv', 'json', 'jsonl']).optional() }).strict(),
  z.object({ type: z.literal('table'), name: z.string().min(1), schema: z.string().min(1).optional(), engine: z.enum(['duckdb', 'postgres']).optional() }).strict(),
  z.object({ type: z.literal('query'), sql: z.string().min(1), engine: z.enum(['duckdb', 'postgres']).optional() }).strict(),
  z.object({ type: z.literal('feature_view'), name: z.string().min(1), version: z.number().int().positive().optional() }).strict(),
  z.object({ type: z.literal('source'), name: z.string().min(1) }).strict(),
  z.object({ type: z.literal('dataset'), path: z.string().min(1) }).strict(),
])
export type BatchSpec = z.infer<typeof batchSpecSchema>

/**
 * asof's own tables (every table the migrations create, and kysely's migration bookkeeping): never a
 * batch, so validation cannot read key hashes or webhook secrets back. `test/api/privilege.test.ts`
 * checks that this names every table a freshly migrated metadata store has.
 */
export const METADATA_TABLES: ReadonlySet<string> = new Set([
  'api_keys', 'expectation_suite_versions', 'expectation_suites', 'materialization_runs', 'model_aliases', 'model_version_tags',
  'model_versions', 'model_webhooks', 'online_generations', 'online_values', 'online_watermarks', 'pipeline_runs',
  'pipeline_schedule_state', 'pipeline_sensor_state', 'pipeline_task_runs', 'registered_model_tags', 'registered_models',
  'registry_objects', 'registry_versions', 'validation_metrics', 'validation_results', 'asof_migration', 'asof_migration_lock',
])
/** The engines' catalogs: what the database knows of its roles, settings and files is not a batch either. */
const SYSTEM_SCHEMAS: ReadonlySet<string> = new Set(['pg_catalog', 'information_schema', 'pg_toast', 'system', 'temp'])

/** An identifier as the engines would match it: quotes dropped, case folded, surrounding space trimmed. */
const folded = (name: string) => name.replace(/["`\[\]]/g, '').trim().toLowerCase()

/**
 * Refuses a table batch naming asof's metadata or a system catalog, however it is spelled (`API_KEYS`,
 * `"model_webhooks"`, `public.api_keys`, schema `pg_catalog`), on either engine.
 */
export function assertNotMetadataTable(spec: { name: string; schema?: string }, where = 'batch'): void {
  const parts = [...(spec.schema === undefined ? [] : folded(spec.schema).split('.')), ...folded(spec.name).split('.')].map((p) => p.trim())
  const table = parts.at(-1) ?? ''
  const schemas = parts.slice(0, -1)
  if (METADATA_TABLES.has(table) || table.startsWith('pg_') || table.startsWith('duckdb_') || schemas.some((s) => SYSTEM_SCHEMAS.has(s))) {
    throw Errors.forbidden(`${where}: the table ${JSON.stringify(spec.schema ? `${spec.schema}.${spec.name}` : spec.name)} is asof's own metadata or a system catalog, which is never validated as a batch`)
  }
}

/**
 * Expectations whose kwargs carry the suite author's own SQL (or, for drift, a reference table,
 * file or query of their choosing): running them over the API needs the `sql` scope.
 */
export const USER_SQL_EXPECTATIONS: ReadonlySet<string> = new Set([
  'expect_query_results_to_be_all_true', 'expect_query_values_to_be_within_tolerance', 'unexpected_rows_expectation',
  'expect_table_metric_to_not_be_anomalous', 'expect_table_metrics_to_pass_interval_check', 'expect_table_columns_to_not_drift',
])

/** The first expectation of a suite that runs its author's SQL, as `expectations[i] (type)`; undefined when none does. */
export function userSqlExpectation(suite: { expectations: readonly { type: string }[] }): string | undefined {
  const i = suite.expectations.findIndex((e) => USER_SQL_EXPECTATIONS.has(e.type))
  return i < 0 ? undefined : `expectations[${i}] (${suite.expectations[i]!.type})`
}

/** A batch ready to validate. `description` keys the metric history (`file:data/x.parquet`, `feature_view:driver@2`). */
export interface ResolvedBatch {
  readonly engine: Engine
  readonly relation: Relation
  readonly description: string
}

export type BatchResolver = (spec: BatchSpec) => Promise<ResolvedBatch>

const FORMAT_BY_EXTENSION: Record<string, FileFormat> = { '.parquet': 'parquet', '.csv': 'csv', '.json': 'json', '.jsonl': 'jsonl', '.ndjson': 'jsonl' }

/** The format of a data file from its extension; bad_input naming `where` when it is not one asof reads. */
export function fileFormatOf(path: string, where = 'path'): FileFormat {
  const format = FORMAT_BY_EXTENSION[extname(path).toLowerCase()]
  if (!format) throw Errors.badInput(where, `cannot tell the format of ${JSON.stringify(path)} (known: .parquet, .csv, .json, .jsonl)`)
  return format
}

/**
 * Resolves the batches the engines read by themselves: files and datasets on DuckDB (paths relative to
 * `baseDir`), tables and queries on the named engine (default: PostgreSQL when there is one, else
 * DuckDB). Feature views and sources are the composition root's to resolve.
 */
export function resolveStandardBatch(spec: Exclude<BatchSpec, { type: 'feature_view' | 'source' }>, engines: { duckdb: Engine; postgres?: Engine }, baseDir: string): ResolvedBatch {
  const engineFor = (kind: EngineKind | undefined): Engine => {
    if (kind === 'postgres' || (kind === undefined && engines.postgres)) {
      if (!engines.postgres) throw Errors.badInput('batch.engine', 'postgres is only available in server mode (ASOF_DATABASE_URL)')
      return engines.postgres
    }
    return engines.duckdb
  }
  switch (spec.type) {
    case 'file':
    case 'dataset': {
      const path = isAbsolute(spec.path) ? spec.path : resolve(baseDir, spec.path)
      const format = spec.type === 'dataset' ? 'parquet' : spec.format ?? fileFormatOf(spec.path, 'batch.path')
      return { engine: engines.duckdb, relation: { kind: 'file', path, format }, description: `${spec.type}:${spec.path}` }
    }
    case 'table': {
      assertNotMetadataTable(spec)
      const engine = engineFor(spec.engine)
      const qualified = spec.schema ? `${spec.schema}.${spec.name}` : spec.name
      return { engine, relation: { kind: 'table', name: spec.name, ...(spec.schema ? { schema: spec.schema } : {}) }, description: `table:${engine.kind}:${qualified}` }
    }
    case 'query': {
      const engine = engineFor(spec.engine)
      return { engine, relation: { kind: 'user_sql', text: spec.sql }, description: `query:${engine.kind}:${spec.sql}` }
    }
  }
}
