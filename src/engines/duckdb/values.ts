import {
  DuckDBArrayValue, DuckDBBlobValue, DuckDBDateValue, DuckDBDecimalValue, DuckDBListValue, DuckDBMapValue,
  DuckDBStructValue, DuckDBTimestampMillisecondsValue, DuckDBTimestampNanosecondsValue, DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue, DuckDBTimestampValue, DuckDBTypeId, LIST, BIGINT, BOOLEAN, DOUBLE, TIMESTAMPTZ, VARCHAR, listValue, timestampTZValue,
  type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api'
import { dateToMicros, formatMicros } from '../../core/index.js'
import type { ColumnType, Value } from '../engine.js'

/** Converts a value read from DuckDB into asof's JavaScript representation (see `Value`). */
export function fromDuckDb(v: DuckDBValue): Value {
  if (v === null) return null
  switch (typeof v) {
    case 'boolean':
    case 'number':
    case 'string':
      return v
    case 'bigint':
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  }
  if (v instanceof DuckDBTimestampTZValue || v instanceof DuckDBTimestampValue) return formatMicros(v.micros)
  if (v instanceof DuckDBTimestampMillisecondsValue) return formatMicros(v.millis * 1000n)
  if (v instanceof DuckDBTimestampSecondsValue) return formatMicros(v.seconds * 1_000_000n)
  if (v instanceof DuckDBTimestampNanosecondsValue) return formatMicros(v.nanos / 1000n)
  if (v instanceof DuckDBDateValue) return v.toString()
  if (v instanceof DuckDBDecimalValue) return v.toDouble()
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map(fromDuckDb)
  if (v instanceof DuckDBStructValue) return Object.fromEntries(Object.entries(v.entries).map(([k, x]) => [k, fromDuckDb(x)]))
  if (v instanceof DuckDBMapValue) return v.entries.map((e) => ({ key: fromDuckDb(e.key), value: fromDuckDb(e.value) }))
  if (v instanceof DuckDBBlobValue) return v.bytes
  return String(v)
}

/** Converts a bound parameter into a DuckDB value; a Date becomes TIMESTAMPTZ. */
export function toDuckDb(v: unknown): DuckDBValue {
  if (v === undefined || v === null) return null
  if (v instanceof Date) return timestampTZValue(dateToMicros(v))
  if (Array.isArray(v)) return listValue(v.map(toDuckDb))
  if (typeof v === 'bigint') return v
  if (v instanceof Uint8Array) return new DuckDBBlobValue(v)
  if (typeof v === 'object') return JSON.stringify(v)
  return v as DuckDBValue
}

/**
 * The type to bind a converted parameter with, where DuckDB's own inference would be wrong: it
 * types a list by its first element, so `[null, 1]` would bind as a list of NULL and lose its
 * values, and `[1, 2.5]` as a list of INTEGER. Lists are typed from all their non-null
 * elements; other values are left to DuckDB's inference (undefined).
 */
export function paramType(v: DuckDBValue): DuckDBType | undefined {
  if (!(v instanceof DuckDBListValue)) return undefined
  const items = v.items.filter((x) => x !== null)
  if (items.length === 0) return undefined
  const element = items.every((x) => typeof x === 'boolean') ? BOOLEAN
    : items.every((x) => typeof x === 'number') ? (items.every((x) => Number.isInteger(x)) ? BIGINT : DOUBLE)
    : items.every((x) => typeof x === 'bigint') ? BIGINT
    : items.every((x) => typeof x === 'string') ? VARCHAR
    : items.every((x) => x instanceof DuckDBTimestampTZValue) ? TIMESTAMPTZ
    : items[0] instanceof DuckDBListValue ? paramType(items[0])
    : undefined
  return element && LIST(element)
}

/** Maps a DuckDB type to asof's logical column type. */
export function columnTypeOf(t: DuckDBType): { type: ColumnType; elementType?: ColumnType } {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN: return { type: 'bool' }
    case DuckDBTypeId.TINYINT: case DuckDBTypeId.SMALLINT: case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT: case DuckDBTypeId.USMALLINT: return { type: 'int32' }
    case DuckDBTypeId.BIGINT: case DuckDBTypeId.UINTEGER: case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT: case DuckDBTypeId.UHUGEINT: return { type: 'int64' }
    case DuckDBTypeId.FLOAT: return { type: 'float32' }
    case DuckDBTypeId.DOUBLE: return { type: 'float64' }
    case DuckDBTypeId.DECIMAL: return { type: 'decimal' }
    case DuckDBTypeId.VARCHAR: return { type: 'string' }
    case DuckDBTypeId.BLOB: return { type: 'bytes' }
    case DuckDBTypeId.TIMESTAMP: case DuckDBTypeId.TIMESTAMP_TZ: case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_S: case DuckDBTypeId.TIMESTAMP_NS: return { type: 'timestamp' }
    case DuckDBTypeId.DATE: return { type: 'date' }
    case DuckDBTypeId.TIME: case DuckDBTypeId.TIME_TZ: return { type: 'time' }
    case DuckDBTypeId.INTERVAL: return { type: 'interval' }
    case DuckDBTypeId.UUID: return { type: 'uuid' }
    case DuckDBTypeId.LIST: case DuckDBTypeId.ARRAY:
      return { type: 'list', elementType: columnTypeOf((t as unknown as { valueType: DuckDBType }).valueType).type }
    case DuckDBTypeId.STRUCT: return { type: 'struct' }
    default: return { type: 'other' }
  }
}
