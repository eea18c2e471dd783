import type { Column, ColumnType, EngineKind } from '../engines/index.js'

/**
 * Type names for `expect_column_values_to_be_of_type` / `_in_type_list`, as GX users write them:
 * SQLAlchemy's PostgreSQL names (`INTEGER`, `BIGINT`, `DOUBLE_PRECISION`, `TEXT`, `BOOLEAN`,
 * `TIMESTAMP`), pandas dtypes (`int64`, `float64`, `object`, `datetime64[ns]`) and each engine's own.
 * One table per engine maps a name (upper-cased) to the logical column types it accepts.
 */
const COMMON: Record<string, readonly ColumnType[]> = {
  // SQLAlchemy / SQL names
  SMALLINT: ['int32'], INTEGER: ['int32'], INT: ['int32'], INT4: ['int32'], INT2: ['int32'],
  BIGINT: ['int64'], INT8: ['int64'],
  REAL: ['float32'], FLOAT4: ['float32'],
  DOUBLE_PRECISION: ['float64'], 'DOUBLE PRECISION': ['float64'], FLOAT8: ['float64'], DOUBLE: ['float64'],
  NUMERIC: ['decimal'], DECIMAL: ['decimal'],
  TEXT: ['string'], VARCHAR: ['string'], STRING: ['string'], CHAR: ['string'], 'CHARACTER VARYING': ['string'],
  BOOLEAN: ['bool'], BOOL: ['bool'],
  TIMESTAMP: ['timestamp'], TIMESTAMPTZ: ['timestamp'], 'TIMESTAMP WITH TIME ZONE': ['timestamp'], DATETIME: ['timestamp'],
  DATE: ['date'], TIME: ['time'], INTERVAL: ['interval'], UUID: ['uuid'], JSON: ['json'], JSONB: ['json'],
  BYTEA: ['bytes'], BLOB: ['bytes'],
  // pandas dtypes
  INT32: ['int32'], INT64: ['int64'], FLOAT32: ['float32'], FLOAT64: ['float64'],
  OBJECT: ['string'], STR: ['string'], 'DATETIME64': ['timestamp'], 'DATETIME64[NS]': ['timestamp'], 'DATETIME64[NS, UTC]': ['timestamp'],
}

const ALIASES: Record<EngineKind, Record<string, readonly ColumnType[]>> = {
  // DuckDB's own: FLOAT is 4 bytes, HUGEINT is 128-bit, TINYINT/UTINYINT… are integers.
  duckdb: { ...COMMON, FLOAT: ['float32'], TINYINT: ['int32'], HUGEINT: ['int64'], UBIGINT: ['int64'], UINTEGER: ['int64'] },
  // PostgreSQL (SQLAlchemy's FLOAT is double precision there).
  postgres: { ...COMMON, FLOAT: ['float64'], SERIAL: ['int32'], BIGSERIAL: ['int64'] },
}

/** PostgreSQL names of the built-in type oids the engine reports (pg_type.typname, upper-cased). */
const PG_TYPE_NAMES: Record<string, string> = {
  16: 'BOOLEAN', 20: 'BIGINT', 21: 'SMALLINT', 23: 'INTEGER', 25: 'TEXT', 700: 'REAL', 701: 'DOUBLE_PRECISION',
  1043: 'VARCHAR', 1042: 'CHAR', 1082: 'DATE', 1083: 'TIME', 1114: 'TIMESTAMP', 1184: 'TIMESTAMP WITH TIME ZONE',
  1186: 'INTERVAL', 1700: 'NUMERIC', 114: 'JSON', 3802: 'JSONB', 2950: 'UUID', 17: 'BYTEA',
}

/** The name GX shows as `observed_value`: the engine's own spelling of the column's type. */
export function typeNameOf(column: Column, engine: EngineKind): string {
  return engine === 'postgres' ? (PG_TYPE_NAMES[column.engineType] ?? column.engineType) : column.engineType
}

/** Whether `column` is of the type a user named; unknown names match only the engine's exact spelling. */
export function columnIsOfType(column: Column, name: string, engine: EngineKind): boolean {
  const wanted = name.trim().toUpperCase()
  if (typeNameOf(column, engine).toUpperCase() === wanted) return true
  return ALIASES[engine][wanted]?.includes(column.type) ?? false
}
