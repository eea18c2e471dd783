import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { sql } from 'kysely'
import { Errors, newId, normalizeTimestamp } from '../../core/index.js'
import { PostgresEngine, copyDuckDbToPostgres, type Column, type ColumnSpec, type ColumnType, type DuckDbEngine, type Engine, type Relation, type Row } from '../../engines/index.js'
import type { EntityInput } from './pit-sql.js'

/**
 * Entity rows: a file (.csv, .parquet, .json array of objects), rows given inline (the API), or a
 * user's SELECT run as written on the engine that runs the join (`--entity-query`).
 */
export type EntitySource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'rows'; readonly rows: readonly Record<string, unknown>[] }
  | { readonly kind: 'query'; readonly sql: string }

/** Entity rows made readable on the engine that runs the join. */
export interface PreparedEntities {
  readonly input: EntityInput
  readonly columns: Column[]
  /** How errors name the entity rows (the file, or `entity rows`). */
  readonly where: string
  /** Drops what preparing created. */
  release(): Promise<void>
}

const ROW_COLUMN = '__asof_row'

/** Types DuckDB writes to CSV in a form PostgreSQL's COPY reads back as the same value. */
const CSV_ROUND_TRIP = new Set<ColumnType>(['bool', 'int32', 'int64', 'float32', 'float64', 'decimal', 'string', 'timestamp', 'date', 'uuid'])

/**
 * Makes entity rows available to `engine`. CSV and Parquet files are read where they are by
 * DuckDB; JSON files and inline rows are loaded into a scratch table numbered in input order.
 * For PostgreSQL, files go to a scratch table by COPY from a CSV that DuckDB writes (1M rows in
 * seconds; inserting them through JavaScript took ~90 s), unless a column's type (lists, bytes…)
 * does not survive CSV. Values keep the types they carry: a JSON string "1" stays a string, so it
 * never matches the number 1.
 */
export async function prepareEntities(source: EntitySource, engine: Engine, duckdb: DuckDbEngine, timestampColumn: string): Promise<PreparedEntities> {
  const where = source.kind === 'file' ? source.path : source.kind === 'query' ? '--entity-query' : 'entity rows'
  if (source.kind === 'query') {
    const relation: Relation = { kind: 'user_sql', text: source.sql }
    return { input: { from: engine.from(relation) }, columns: await describeQuery(engine, relation), where, release: async () => {} }
  }
  if (source.kind === 'file') {
    const format = entityFileFormat(source.path)
    if (format !== 'json') {
      const relation: Relation = { kind: 'file', path: source.path, format }
      const columns = await duckdb.describe(relation)
      if (engine.kind === 'duckdb') return { input: { from: duckdb.from(relation), rescannable: true }, columns, where, release: async () => {} }
      if (engine instanceof PostgresEngine && columns.every((c) => CSV_ROUND_TRIP.has(c.type))) return copyRows(engine, duckdb, relation, columns, where)
      const rows = await duckdb.query(sql`select * from ${duckdb.from(relation)} as t`)
      return loadRows(engine, columns, rows, where)
    }
    const rows = readJsonRows(source.path)
    return loadRows(engine, inferColumns(rows, where), normalizeRows(rows, timestampColumn, where), where)
  }
  return loadRows(engine, inferColumns(source.rows, where), normalizeRows(source.rows, timestampColumn, where), where)
}

/** The query's columns; a query the engine rejects is a bad input naming the flag. */
async function describeQuery(engine: Engine, relation: Relation): Promise<Column[]> {
  try {
    return await engine.describe(relation)
  } catch (e) {
    throw Errors.badInput('--entity-query', `the ${engine.kind} engine cannot run it: ${(e as Error).message}`)
  }
}

function entityFileFormat(path: string): 'csv' | 'parquet' | 'json' {
  const ext = extname(path).toLowerCase()
  if (ext === '.csv' || ext === '.parquet' || ext === '.json') return ext.slice(1) as 'csv' | 'parquet' | 'json'
  throw Errors.badInput('--entities', `expected a .csv, .parquet or .json file, got ${path}`)
}

function readJsonRows(path: string): Record<string, unknown>[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw Errors.badInput(path, `cannot read entity rows: ${(e as Error).message}`)
  }
  if (!Array.isArray(parsed) || parsed.some((r) => !r || typeof r !== 'object' || Array.isArray(r))) {
    throw Errors.badInput(path, 'expected a JSON array of objects (one per entity row)')
  }
  return parsed as Record<string, unknown>[]
}

/** Column names in order of first appearance and one type per column, from the JSON values (a mix of integers and decimals is float64). */
export function inferColumns(rows: readonly Record<string, unknown>[], where: string): Column[] {
  const types = new Map<string, ColumnType | undefined>()
  rows.forEach((row, i) => {
    for (const [name, value] of Object.entries(row)) {
      const type = jsonType(value, `${where}: row ${i} column ${name}`)
      const seen = types.get(name)
      if (!types.has(name) || seen === undefined) types.set(name, type)
      else if (type && seen !== type) {
        const merged = seen !== 'string' && type !== 'string' && seen !== 'bool' && type !== 'bool' ? 'float64' : undefined
        if (!merged) throw Errors.badInput(`${where}: column ${name}`, `mixes values of type ${seen} and ${type} (row ${i}); one column holds one type`)
        types.set(name, merged)
      }
    }
  })
  return [...types].map(([name, type]) => ({ name, type: type ?? 'string', engineType: type ?? 'string' }))
}

function jsonType(value: unknown, where: string): ColumnType | undefined {
  if (value === null || value === undefined) return undefined
  switch (typeof value) {
    case 'boolean': return 'bool'
    case 'string': return 'string'
    case 'bigint': return 'int64'
    case 'number': return Number.isInteger(value) ? 'int64' : 'float64'
    default: throw Errors.badInput(where, `expected a string, number, boolean or null, got ${JSON.stringify(value)}`)
  }
}

/** Missing keys read as null; the timestamp column is checked and normalized to UTC with microseconds. */
function normalizeRows(rows: readonly Record<string, unknown>[], timestampColumn: string, where: string): Row[] {
  return rows.map((row, i) => {
    const ts = row[timestampColumn]
    if (ts === undefined || ts === null) return row as Row
    if (typeof ts !== 'string') throw Errors.badInput(`${where}: row ${i} column ${timestampColumn}`, `expected an ISO-8601 timestamp string, got ${JSON.stringify(ts)}`)
    return { ...row, [timestampColumn]: normalizeTimestamp(ts, `${where}: row ${i} column ${timestampColumn}`) } as Row
  })
}

/** Loads rows into a scratch table on `engine`, numbered in input order. */
function loadRows(engine: Engine, columns: Column[], rows: readonly Row[], where: string): Promise<PreparedEntities> {
  return scratchTable(engine, columns, where, (table, specs) =>
    engine.insertRows(table, specs, rows.map((r, i) => [...columns.map((c) => r[c.name] ?? null), i])))
}

/** Copies a file DuckDB reads into a scratch table on PostgreSQL, numbered in file order. */
function copyRows(pg: PostgresEngine, duckdb: DuckDbEngine, relation: Relation, columns: Column[], where: string): Promise<PreparedEntities> {
  return scratchTable(pg, columns, where, (table, specs) => copyDuckDbToPostgres(duckdb,
    sql`select ${sql.join(columns.map((c) => sql.id(c.name)))}, row_number() over () - 1 from ${duckdb.from(relation)} as t`, pg, table, specs))
}

/** A scratch table with the entity columns and a row number, filled by `fill`; dropped again if filling fails. */
async function scratchTable(engine: Engine, columns: Column[], where: string, fill: (table: string, specs: ColumnSpec[]) => Promise<unknown>): Promise<PreparedEntities> {
  const table = `asof_entities_${newId()}`
  const specs: ColumnSpec[] = [...columns.map((c) => ({ name: c.name, type: c.type, elementType: c.elementType })), { name: ROW_COLUMN, type: 'int64' }]
  await engine.createTable(table, specs)
  const release = () => engine.execute(sql`drop table if exists ${sql.id(table)}`)
  try {
    await fill(table, specs)
  } catch (e) {
    await release()
    throw e
  }
  return { input: { from: sql`${sql.id(table)}`, rowColumn: ROW_COLUMN, rescannable: engine.kind === 'duckdb' }, columns, where, release }
}
