import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { finished } from 'node:stream/promises'
import { RecordBatchFileWriter, Type, type RecordBatch, type Vector } from 'apache-arrow'
import { sql } from 'kysely'
import { formatMicros, newId } from '../../core/index.js'
import { DuckDbEngine, type ColumnSpec, type ColumnType, type Value } from '../../engines/index.js'
import { datasetCopy } from './historical.js'
import { outputFormatOf } from './output-file.js'

/**
 * Writes a dataset that arrives as Arrow record batches (a retrieval streamed over HTTP) to a
 * file whose extension names the format, one batch in memory at a time: `.arrow` through Arrow's
 * file writer, `.json` as it streams, `.parquet` and `.csv` through an in-memory DuckDB's COPY
 * (the same writer a local retrieval uses, so both give the same file).
 */
export async function writeDatasetBatches(batches: AsyncIterable<RecordBatch>, path: string): Promise<{ rows: number; columns: string[] }> {
  const format = outputFormatOf(path)
  if (format === 'arrow') return writeArrow(batches, path)
  if (format === 'json') return writeJson(batches, path)
  const duckdb = await DuckDbEngine.open({ path: ':memory:' })
  const table = `asof_dataset_${newId()}`
  try {
    let columns: ColumnSpec[] | undefined
    let rows = 0
    for await (const batch of batches) {
      if (!columns) {
        columns = batch.schema.fields.map((f) => ({ name: f.name, ...columnType(f.type.typeId, batch.getChild(f.name)!) }))
        await duckdb.createTable(table, columns)
      }
      rows += await duckdb.insertRows(table, columns, rowsOf(batch))
    }
    if (!columns) throw new Error('the dataset stream had no schema')
    await duckdb.execute(datasetCopy(sql`select * from ${sql.id(table)}`, path, format))
    return { rows, columns: columns.map((c) => c.name) }
  } finally {
    await duckdb.close()
  }
}

async function writeArrow(batches: AsyncIterable<RecordBatch>, path: string): Promise<{ rows: number; columns: string[] }> {
  const writer = new RecordBatchFileWriter()
  const out = createWriteStream(path)
  const written = finished(writer.toNodeStream().pipe(out))
  let rows = 0
  let columns: string[] = []
  for await (const batch of batches) {
    columns = batch.schema.fields.map((f) => f.name)
    rows += batch.numRows
    writer.write(batch)
  }
  writer.finish()
  await written
  return { rows, columns }
}

async function writeJson(batches: AsyncIterable<RecordBatch>, path: string): Promise<{ rows: number; columns: string[] }> {
  const out = createWriteStream(path)
  let rows = 0
  let columns: string[] = []
  out.write('[')
  for await (const batch of batches) {
    columns = batch.schema.fields.map((f) => f.name)
    for (const row of rowsOf(batch)) {
      const record = Object.fromEntries(columns.map((c, i) => [c, row[i]]))
      const text = JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v))
      if (!out.write(`${rows++ === 0 ? '' : ','}${text}`)) await once(out, 'drain')
    }
  }
  out.end(']')
  await finished(out)
  return { rows, columns }
}

/** The logical column type of an Arrow column written by `output-file.ts`. */
function columnType(type: Type, vector: Vector): { type: ColumnType; elementType?: ColumnType } {
  switch (type) {
    case Type.Bool: return { type: 'bool' }
    case Type.Int: return { type: vector.type.bitWidth === 64 ? 'int64' : 'int32' }
    case Type.Float: return { type: vector.type.precision === 0 || vector.type.precision === 1 ? 'float32' : 'float64' }
    case Type.Binary: return { type: 'bytes' }
    case Type.Timestamp: return { type: 'timestamp' }
    case Type.List: return { type: 'list', elementType: columnType(vector.type.children[0].type.typeId, vector).type }
    default: return { type: 'string' }
  }
}

/** A batch's rows as arrays in column order; timestamps back to ISO-8601 with microseconds. */
function rowsOf(batch: RecordBatch): Value[][] {
  const columns = batch.schema.fields.map((f) => {
    const vector = batch.getChild(f.name)!
    if (f.type.typeId !== Type.Timestamp) return (i: number) => plain(vector.get(i))
    const micros = vector.data[0]!.values as BigInt64Array
    return (i: number) => (vector.isValid(i) ? formatMicros(micros[i]!) : null)
  })
  const rows: Value[][] = []
  for (let i = 0; i < batch.numRows; i++) rows.push(columns.map((get) => get(i)))
  return rows
}

function plain(v: unknown): Value {
  if (v === null || v === undefined) return null
  if (typeof v === 'object' && !(v instanceof Uint8Array) && typeof (v as { toArray?: unknown }).toArray === 'function') {
    return [...(v as Iterable<unknown>)].map(plain)
  }
  return v as Value
}
