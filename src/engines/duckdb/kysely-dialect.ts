import type { DuckDBConnection, DuckDBInstance, DuckDBType } from '@duckdb/node-api'
import {
  PostgresAdapter, PostgresQueryCompiler, sql,
  type CompiledQuery, type DatabaseConnection, type DatabaseIntrospector, type Dialect, type Driver,
  type Kysely, type QueryCompiler, type QueryResult, type SchemaMetadata, type TableMetadata, type DatabaseMetadata,
} from 'kysely'
import { Errors } from '../../core/index.js'
import type { Column, Row } from '../engine.js'
import { columnTypeOf, fromDuckDb, paramType, toDuckDb } from './values.js'

/**
 * kysely on DuckDB, assembled like kysely's PGlite dialect from Postgres parts: DuckDB accepts
 * `$1` parameters and `"quoted"` identifiers, so the Postgres compiler serves unchanged.
 * The migration lock is a no-op because one process owns the database file.
 */
export class DuckDbDialect implements Dialect {
  constructor(private readonly pool: DuckDbConnectionPool) {}
  createAdapter() { return new DuckDbAdapter() }
  createDriver(): Driver { return new DuckDbDriver(this.pool) }
  createQueryCompiler(): QueryCompiler { return new PostgresQueryCompiler() }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector { return new DuckDbIntrospector(db) }
}

/** Reads DuckDB's information_schema (PostgreSQL's introspector uses pg_catalog functions DuckDB lacks). */
class DuckDbIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const r = await sql<{ name: string }>`select distinct schema_name as name from information_schema.schemata`.execute(this.db)
    return r.rows
  }

  async getTables(): Promise<TableMetadata[]> {
    const r = await sql<{ schema: string; table: string; is_view: boolean; column: string; data_type: string; nullable: boolean; has_default: boolean }>`
      select c.table_schema as schema, c.table_name as "table", t.table_type = 'VIEW' as is_view, c.column_name as "column",
             c.data_type, c.is_nullable = 'YES' as nullable, c.column_default is not null as has_default
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      order by c.table_schema, c.table_name, c.ordinal_position`.execute(this.db)
    const tables = new Map<string, TableMetadata>()
    for (const row of r.rows) {
      const key = `${row.schema}.${row.table}`
      let t = tables.get(key)
      if (!t) {
        t = { name: row.table, schema: row.schema, isView: row.is_view, columns: [] }
        tables.set(key, t)
      }
      ;(t.columns as unknown[]).push({ name: row.column, dataType: row.data_type, isNullable: row.nullable, isAutoIncrementing: false, hasDefaultValue: row.has_default })
    }
    return [...tables.values()]
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() }
  }
}

class DuckDbAdapter extends PostgresAdapter {
  override async acquireMigrationLock(): Promise<void> {}
  override async releaseMigrationLock(): Promise<void> {}
}

/**
 * Connections to one DuckDB instance, shared by kysely (metadata, transactions) and the engine's
 * analytical queries. DuckDB runs connections of one instance concurrently under MVCC; the cap
 * keeps a burst of requests from opening unbounded native connections.
 *
 * Closing never destroys a connection under a running query: DuckDB's destructor then waits for a
 * lock the query's worker thread holds, and the process hung in `process.exit` (seen twice in
 * `npm test`, once for 23 minutes). `close` refuses new work, interrupts the queries running
 * (they reject with DuckDB's "Interrupted"), and closes once every connection is handed back.
 */
export class DuckDbConnectionPool {
  private readonly idle: DuckDbKyselyConnection[] = []
  private readonly waiting: { resolve: (c: DuckDbKyselyConnection) => void; reject: (e: Error) => void }[] = []
  private readonly all: DuckDbKyselyConnection[] = []
  /** Handed out and not yet released (a query, or a kysely transaction between its queries). */
  private readonly inUse = new Set<DuckDbKyselyConnection>()
  /** Connections being opened: counted against the cap, and waited for by `close`. */
  private opening = 0
  private closing: { drained: Promise<void>; resolve: () => void } | undefined

  constructor(private readonly instance: DuckDBInstance, private readonly size = 4) {}

  get closed(): boolean {
    return this.closing !== undefined
  }

  async acquire(): Promise<DuckDbKyselyConnection> {
    if (this.closing) throw closedError()
    const free = this.idle.pop()
    if (free) return this.handOut(free)
    if (this.all.length + this.opening < this.size) {
      this.opening++
      let c: DuckDbKyselyConnection
      try {
        c = new DuckDbKyselyConnection(await this.instance.connect(), this)
      } finally {
        this.opening--
      }
      this.all.push(c)
      if (this.closing) {
        this.checkDrained()
        throw closedError()
      }
      return this.handOut(c)
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }))
  }

  release(c: DuckDbKyselyConnection): void {
    const next = this.closing ? undefined : this.waiting.shift()
    if (next) return next.resolve(c) // stays in use, by its next holder
    this.inUse.delete(c)
    this.idle.push(c)
    this.checkDrained()
  }

  async with<T>(fn: (c: DuckDbKyselyConnection) => Promise<T>): Promise<T> {
    const c = await this.acquire()
    try {
      return await fn(c)
    } finally {
      this.release(c)
    }
  }

  /** Interrupts running queries, waits until every connection is released, then closes them all. */
  async close(): Promise<void> {
    if (!this.closing) {
      let resolve!: () => void
      this.closing = { drained: new Promise<void>((r) => { resolve = r }), resolve }
      for (const w of this.waiting.splice(0)) w.reject(closedError())
      for (const c of this.inUse) c.connection.interrupt()
      this.checkDrained()
    }
    await this.closing.drained
  }

  private handOut(c: DuckDbKyselyConnection): DuckDbKyselyConnection {
    this.inUse.add(c)
    return c
  }

  private checkDrained(): void {
    if (!this.closing || this.inUse.size > 0 || this.opening > 0) return
    for (const c of this.all.splice(0)) c.connection.closeSync()
    this.idle.length = 0
    this.closing.resolve()
  }
}

function closedError(): Error {
  return Errors.busy('the DuckDB database is closing: asof is shutting down')
}

class DuckDbDriver implements Driver {
  constructor(private readonly pool: DuckDbConnectionPool) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> { return this.pool.acquire() }
  async releaseConnection(c: DatabaseConnection): Promise<void> { this.pool.release(c as DuckDbKyselyConnection) }
  async beginTransaction(c: DatabaseConnection): Promise<void> { await (c as DuckDbKyselyConnection).raw('BEGIN TRANSACTION') }
  async commitTransaction(c: DatabaseConnection): Promise<void> { await (c as DuckDbKyselyConnection).raw('COMMIT') }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> { await (c as DuckDbKyselyConnection).raw('ROLLBACK') }
  /** The pool belongs to the engine, which closes it after kysely. */
  async destroy(): Promise<void> {}
}

export class DuckDbKyselyConnection implements DatabaseConnection {
  constructor(readonly connection: DuckDBConnection, private readonly pool: DuckDbConnectionPool) {}

  async raw(text: string): Promise<void> {
    if (this.pool.closed) throw closedError() // a transaction's next statement, once closing began
    await this.connection.run(text)
  }

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const { rows, rowsChanged } = await this.read(q)
    const changed = /^\s*(insert|update|delete)/i.test(q.sql) ? BigInt(rowsChanged) : undefined
    return { rows: rows as R[], numAffectedRows: changed }
  }

  /** Runs a compiled query and returns normalized rows plus column metadata. */
  async read(q: CompiledQuery): Promise<{ rows: Row[]; columns: Column[]; rowsChanged: number }> {
    if (this.pool.closed) throw closedError()
    const values = q.parameters.map(toDuckDb)
    const paramTypes = values.map(paramType)
    const result = await this.connection.runAndReadAll(q.sql, values, paramTypes.some(Boolean) ? (paramTypes as DuckDBType[]) : undefined)
    const names = result.columnNames()
    const types = result.columnTypes()
    const rows = result.getRows().map((r) => {
      const o: Row = {}
      for (let i = 0; i < names.length; i++) o[names[i]!] = fromDuckDb(r[i]!)
      return o
    })
    const columns = names.map((name, i) => ({ name, engineType: types[i]!.toString(), ...columnTypeOf(types[i]!) }))
    return { rows, columns, rowsChanged: Number(result.rowsChanged) }
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streamQuery is not supported by the DuckDB kysely driver; use Engine.run')
  }
}
