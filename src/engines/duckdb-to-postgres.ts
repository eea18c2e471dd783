import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql, type RawBuilder } from 'kysely'
import type { ColumnSpec, Engine } from './engine.js'
import type { DuckDbEngine } from './duckdb/duckdb-engine.js'
import type { PostgresEngine } from './postgres/postgres-engine.js'

/**
 * Copies the rows of a DuckDB query into an existing PostgreSQL table: DuckDB writes a temporary
 * CSV and PostgreSQL reads it with `COPY … FROM STDIN`, so no row passes through JavaScript
 * (1M rows in seconds; through insertRows ~90 s). The query's columns must be `columns`, in order,
 * of types whose CSV text PostgreSQL reads back as the same value (not lists, structs or bytes).
 */
export async function copyDuckDbToPostgres(duckdb: DuckDbEngine, query: RawBuilder<unknown>, pg: PostgresEngine, table: string, columns: readonly ColumnSpec[]): Promise<number> {
  return withDuckDbCsv(duckdb, query, (csv) => pg.copyCsv(table, columns, csv))
}

/**
 * Writes the rows of a DuckDB query to a temporary CSV file (header row; DuckDB writes it in
 * parallel, streaming) for `use` (e.g. `PostgresEngine.copyTransaction`'s copyCsv), and deletes
 * it afterwards. The rows never pass through JavaScript.
 */
export async function withDuckDbCsv<T>(duckdb: Engine, query: RawBuilder<unknown>, use: (csv: string) => Promise<T>): Promise<T> {
  if (duckdb.kind !== 'duckdb') throw new Error(`withDuckDbCsv needs a DuckDB engine, got ${duckdb.kind}`)
  const dir = mkdtempSync(join(tmpdir(), 'asof-copy-'))
  try {
    const csv = join(dir, 'rows.csv')
    await duckdb.execute(sql`copy (${query}) to ${csv} (format csv, header true)`)
    return await use(csv)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
