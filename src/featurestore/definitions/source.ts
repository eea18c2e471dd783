import { z } from 'zod'
import { annotations, identifier } from './common.js'

const sourceColumns = {
  name: identifier,
  /** The event-time column of the source (a source column name). */
  timestamp_field: identifier,
  /** Tie-breaker among rows with equal event time: the later created row wins. */
  created_timestamp_column: identifier.optional(),
  /** Source column → feature or join-key name. */
  field_mapping: z.record(z.string().min(1), identifier).default({}),
  ...annotations,
}

const tableOrQuery = {
  ...sourceColumns,
  table: identifier.optional(),
  /** A SELECT run as written on the source's engine (wrapped as a subquery). */
  query: z.string().min(1).optional(),
}
const oneOfTableOrQuery = [
  (s: { table?: string; query?: string }) => (s.table === undefined) !== (s.query === undefined),
  { message: 'give exactly one of table or query' },
] as const

/**
 * Where a feature view's rows come from: a Parquet/CSV file (read by DuckDB), a DuckDB table or
 * query, or a PostgreSQL table or query (pushed down to PostgreSQL).
 */
export const sourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...sourceColumns,
    kind: z.literal('file'),
    /** Relative to the feature repo; `.parquet` or `.csv`. */
    path: z.string().regex(/\.(parquet|csv)$/i, 'expected a .parquet or .csv path'),
  }),
  z.strictObject({ ...tableOrQuery, kind: z.literal('duckdb') }).refine(...oneOfTableOrQuery),
  z.strictObject({ ...tableOrQuery, kind: z.literal('postgres') }).refine(...oneOfTableOrQuery),
])

export type SourceDefinition = z.output<typeof sourceSchema>
export type SourceKind = SourceDefinition['kind']

/**
 * `field_mapping` maps source columns to feature or join-key names; this turns it around:
 * the source column that holds `name` (the name itself when it is not mapped).
 */
export function sourceColumnResolver(fieldMapping: Record<string, string>): (name: string) => string {
  const reverse = new Map(Object.entries(fieldMapping).map(([column, name]) => [name, column]))
  return (name) => reverse.get(name) ?? name
}
