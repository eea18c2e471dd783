import { writeFileSync } from 'node:fs'
import { extname } from 'node:path'
import {
  Binary, Bool, Field, Float32, Float64, Int32, Int64, List, RecordBatch, Table, TimestampMicrosecond, Utf8, makeBuilder, makeData, makeVector, tableToIPC,
  type DataType, type Vector,
} from 'apache-arrow'
import { Errors, bigintReplacer, parseTimestampMicros } from '../../core/index.js'
import type { ColumnType, ResultSet, Value } from '../../engines/index.js'

export type OutputFormat = 'parquet' | 'csv' | 'json' | 'arrow'

/** The output format named by a file's extension. */
export function outputFormatOf(path: string): OutputFormat {
  const ext = extname(path).toLowerCase().slice(1)
  if (ext === 'parquet' || ext === 'csv' || ext === 'json' || ext === 'arrow') return ext
  throw Errors.badInput('--output', `expected a .parquet, .csv, .json or .arrow file, got ${path}`)
}

/** A JSON array of records; timestamps are ISO-8601 UTC strings with microseconds, bytes base64. */
export function writeJsonFile(path: string, result: ResultSet): void {
  const json = JSON.stringify(result.rows, (k, v: unknown) => {
    if (typeof v === 'bigint') return bigintReplacer(k, v)
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64')
    return v
  })
  writeFileSync(path, json)
}

/** Arrow IPC (file format): timestamps as microseconds in UTC, int64 as 64-bit integers. */
export function writeArrowFile(path: string, result: ResultSet): void {
  writeFileSync(path, tableToIPC(new Table(arrowVectors(result.columns, result.rows)), 'file'))
}

/** Rows per record batch of a streamed dataset: large enough that per-batch overhead vanishes, small enough to flow. */
export const ARROW_BATCH_ROWS = 65_536

/**
 * A retrieved dataset as Arrow record batches of at most `rowsPerBatch` rows, each built when
 * it is read, with the same types as `writeArrowFile` (so a stream written to a file equals it).
 */
export function* arrowRecordBatches(result: ResultSet, rowsPerBatch = ARROW_BATCH_ROWS): Generator<RecordBatch> {
  for (let start = 0; start < result.rows.length || start === 0; start += rowsPerBatch) {
    const rows = result.rows.slice(start, start + rowsPerBatch)
    // Each vector is built in one piece, so its data is one chunk.
    yield new RecordBatch(Object.fromEntries(Object.entries(arrowVectors(result.columns, rows)).map(([name, v]) => [name, v.data[0]!])))
    if (rows.length === 0) break
  }
}

function arrowVectors(columns: ResultSet['columns'], rows: ResultSet['rows']): Record<string, Vector> {
  const vectors: Record<string, Vector> = {}
  for (const column of columns) {
    if (column.type === 'timestamp') {
      vectors[column.name] = timestampVector(rows.map((r) => r[column.name] ?? null))
      continue
    }
    const type = arrowType(column.type, column.elementType)
    const builder = makeBuilder({ type, nullValues: [null, undefined] })
    for (const row of rows) builder.append(toArrow(row[column.name] ?? null, column.type, column.elementType))
    vectors[column.name] = builder.finish().toVector()
  }
  return vectors
}

/**
 * Arrow JS's timestamp builders take epoch milliseconds as a double, which would drop
 * microseconds; the vector is built from the 64-bit microsecond values directly.
 */
function timestampVector(values: Value[]): Vector {
  const data = new BigInt64Array(values.length)
  const valid = new Uint8Array(Math.ceil(values.length / 8))
  let nullCount = 0
  values.forEach((v, i) => {
    if (v === null) nullCount++
    else {
      data[i] = parseTimestampMicros(String(v))
      valid[i >> 3]! |= 1 << (i & 7)
    }
  })
  return makeVector(makeData({ type: new TimestampMicrosecond('UTC'), length: values.length, nullCount, nullBitmap: valid, data }))
}

function arrowType(type: ColumnType, element?: ColumnType): DataType {
  switch (type) {
    case 'bool': return new Bool()
    case 'int32': return new Int32()
    case 'int64': return new Int64()
    case 'float32': return new Float32()
    case 'float64': case 'decimal': return new Float64()
    case 'bytes': return new Binary()
    case 'timestamp': return new TimestampMicrosecond('UTC')
    // Arrow JS builds timestamps from milliseconds; lists of timestamps travel as ISO strings to keep microseconds.
    case 'list': return new List(new Field('item', element === 'timestamp' ? new Utf8() : arrowType(element ?? 'string'), true))
    default: return new Utf8()
  }
}

function toArrow(v: Value, type: ColumnType, element?: ColumnType): unknown {
  if (v === null) return null
  switch (type) {
    case 'int64': return typeof v === 'bigint' ? v : BigInt(v as number)
    case 'list': return (v as Value[]).map((x) => toArrow(x, element ?? 'string'))
    case 'bool': case 'int32': case 'float32': case 'float64': case 'decimal': case 'bytes': return v
    default: return typeof v === 'string' ? v : JSON.stringify(v)
  }
}
