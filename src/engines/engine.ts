import type { CompiledQuery, Kysely, RawBuilder } from 'kysely'

export type EngineKind = 'duckdb' | 'postgres'
export const ENGINE_KINDS: readonly EngineKind[] = ['duckdb', 'postgres']

/** The logical column types asof knows; each engine maps its own types onto these. */
export type ColumnType =
  | 'bool' | 'int32' | 'int64' | 'float32' | 'float64' | 'decimal'
  | 'string' | 'bytes' | 'timestamp' | 'date' | 'time' | 'interval' | 'json' | 'uuid'
  | 'list' | 'struct' | 'other'

export interface Column {
  readonly name: string
  readonly type: ColumnType
  /** The engine's own spelling of the type (`BIGINT`, `TIMESTAMP WITH TIME ZONE`, `int8`…). */
  readonly engineType: string
  /** Element type, for lists. */
  readonly elementType?: ColumnType
}

/**
 * A value as rows carry it in JavaScript. Timestamps are ISO-8601 UTC strings with up to six
 * fractional digits (a Date would drop microseconds); dates are `YYYY-MM-DD`; integers that do
 * not fit a double exactly stay bigint; decimals become numbers.
 */
export type Value = null | boolean | number | bigint | string | Uint8Array | Value[] | { [k: string]: Value }
export type Row = Record<string, Value>

export interface ResultSet {
  readonly columns: Column[]
  readonly rows: Row[]
}

/** A relation on an engine: what validation reads and what retrieval joins. */
export type Relation =
  | { kind: 'table'; name: string; schema?: string }
  | { kind: 'file'; path: string; format: FileFormat }
  /** SQL built by asof with kysely's `sql` template (values bound, identifiers quoted). */
  | { kind: 'query'; sql: RawBuilder<unknown> }
  /**
   * A user's own SELECT (a source query, `validate --sql`, a view's transformation): run as written,
   * wrapped as a subquery. `inputs` are relations it reads by name (e.g. `source`), bound as CTEs.
   */
  | { kind: 'user_sql'; text: string; inputs?: Readonly<Record<string, Relation>> }

export type FileFormat = 'parquet' | 'csv' | 'json' | 'jsonl'

export type Query = RawBuilder<unknown> | CompiledQuery

export interface ColumnSpec {
  readonly name: string
  readonly type: ColumnType
  readonly elementType?: ColumnType
}

/**
 * One SQL engine behind one small interface: DuckDB (embedded, files) and PostgreSQL.
 * All SQL is written with kysely's builder or its `sql` template, so binding and identifier
 * quoting happen in one compiler per engine.
 */
export interface Engine {
  readonly kind: EngineKind
  /** Untyped on purpose: analytical SQL uses `sql`; typed metadata tables live in metadata/. */
  readonly db: Kysely<any>
  /** A FROM-able expression for `relation` (a quoted table, a file reader, a parenthesized subquery). */
  from(relation: Relation): RawBuilder<unknown>
  /** Runs a query and returns normalized rows with their column types. */
  run(q: Query): Promise<ResultSet>
  /** Runs a query and returns its rows. */
  query<R = Row>(q: Query): Promise<R[]>
  /** Runs statements that return nothing. */
  execute(q: Query): Promise<void>
  /** Column names and types of a relation, without reading its rows. */
  describe(relation: Relation): Promise<Column[]>
  /** Creates (or replaces) a table with these columns. */
  createTable(name: string, columns: readonly ColumnSpec[], options?: { replace?: boolean; temporary?: boolean }): Promise<void>
  /** Bulk-inserts rows (arrays in column order) into an existing table. Returns the row count. */
  insertRows(name: string, columns: readonly ColumnSpec[], rows: readonly Value[][]): Promise<number>
  /** The engine's SQL type for a logical column type. */
  sqlType(spec: ColumnSpec): string
  /** `cast(expr as <the engine's type for spec>)`. */
  cast(expr: RawBuilder<unknown>, spec: ColumnSpec): RawBuilder<unknown>
  close(): Promise<void>
}
