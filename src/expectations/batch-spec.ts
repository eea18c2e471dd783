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
