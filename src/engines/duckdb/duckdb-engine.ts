import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { Kysely, sql, type RawBuilder } from 'kysely'
import { AsofError, Errors, assertNever, causedBy } from '../../core/index.js'
import type { ColumnSpec, ColumnType, Query, Relation, ResultSet, Value } from '../engine.js'
import { EngineBase } from '../engine-base.js'
import { DuckDbConnectionPool, DuckDbDialect } from './kysely-dialect.js'

const SQL_TYPES: Record<ColumnType, string> = {
  bool: 'BOOLEAN', int32: 'INTEGER', int64: 'BIGINT', float32: 'FLOAT', float64: 'DOUBLE', decimal: 'DOUBLE',
  string: 'VARCHAR', bytes: 'BLOB', timestamp: 'TIMESTAMPTZ', date: 'DATE', time: 'TIME', interval: 'INTERVAL',
  json: 'VARCHAR', uuid: 'UUID', list: 'VARCHAR[]', struct: 'VARCHAR', other: 'VARCHAR',
}

export interface DuckDbEngineOptions {
  /** A file path, or `:memory:`. */
  path: string
  /** Most concurrent connections (default 4). */
  connections?: number
}

/**
 * DuckDB behind the Engine interface. One instance per file per process (DuckDB's own rule);
 * the file is locked for the life of the engine, and a second process gets a clear `busy` error.
 */
export class DuckDbEngine extends EngineBase {
  readonly kind = 'duckdb' as const
  readonly db: Kysely<any>
  protected readonly sqlTypes = SQL_TYPES

  private constructor(private readonly instance: DuckDBInstance, private readonly pool: DuckDbConnectionPool, readonly path: string) {
    super()
    this.db = new Kysely<any>({ dialect: new DuckDbDialect(pool) })
  }

  static async open(options: DuckDbEngineOptions): Promise<DuckDbEngine> {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
    // Without the ICU extension (it cannot be downloaded here) DuckDB renders timestamptz in UTC.
    let instance: DuckDBInstance
    try {
      instance = await DuckDBInstance.create(options.path)
    } catch (e) {
      const message = (e as Error).message
      if (/lock/i.test(message)) {
        throw Errors.busy(`the database ${options.path} is in use by another asof process (an \`asof serve\` or another command; DuckDB lets one process open a file at a time, so use the running server's REST API or stop that process)`)
      }
      throw Errors.engine('duckdb', message)
    }
    return new DuckDbEngine(instance, new DuckDbConnectionPool(instance, options.connections ?? 4), options.path)
  }

  from(relation: Relation): RawBuilder<unknown> {
    switch (relation.kind) {
      case 'table':
        return relation.schema ? sql`${sql.id(relation.schema, relation.name)}` : sql`${sql.id(relation.name)}`
      case 'file':
        return fileReader(relation.path, relation.format)
      case 'query':
        return sql`(${relation.sql})`
      case 'user_sql':
        return this.userSelect(relation)
      default:
        return assertNever(relation, 'relation')
    }
  }

  async run(q: Query): Promise<ResultSet> {
    const compiled = this.compile(q)
    try {
      return await this.pool.with((c) => c.read(compiled))
    } catch (e) {
      throw wrapError(e)
    }
  }

  async insertRows(name: string, columns: readonly ColumnSpec[], rows: readonly Value[][]): Promise<number> {
    if (rows.length === 0) return 0
    // Values are bound in chunks: one statement per ~1000 rows keeps the parameter count modest.
    const chunk = Math.max(1, Math.floor(20000 / Math.max(1, columns.length)))
    const target = sql`${sql.id(name)} (${sql.join(columns.map((c) => sql.id(c.name)))})`
    for (let i = 0; i < rows.length; i += chunk) {
      const values = rows.slice(i, i + chunk).map((r) =>
        sql`(${sql.join(r.map((v, j) => this.typedParam(v, columns[j]!)))})`)
      await this.execute(sql`insert into ${target} values ${sql.join(values)}`)
    }
    return rows.length
  }

  /** Interrupts running queries and waits for them to end before closing (see DuckDbConnectionPool). */
  async close(): Promise<void> {
    await this.db.destroy()
    await this.pool.close()
    this.instance.closeSync()
  }

}

function fileReader(path: string, format: Relation & { kind: 'file' } extends { format: infer F } ? F : never): RawBuilder<unknown> {
  switch (format) {
    case 'parquet': return sql`read_parquet(${path})`
    case 'csv': return sql`read_csv(${path}, header = true)`
    case 'json': return sql`read_json(${path}, format = 'array')`
    case 'jsonl': return sql`read_json(${path}, format = 'newline_delimited')`
    default: return assertNever(format, 'file format')
  }
}

function wrapError(e: unknown): unknown {
  if (e instanceof AsofError) return e
  const message = (e as Error).message ?? String(e)
  if (/^INTERRUPT Error/.test(message)) {
    return causedBy(Errors.busy('the query was interrupted: asof is shutting down'), e)
  }
  if (/^(IO Error|Invalid Input Error): .*(No files found|does not exist|Cannot open file)/s.test(message)) {
    return causedBy(Errors.fileUnreadable(message.split('\n')[0]!), e)
  }
  if (/(Binder|Parser|Catalog|Conversion|Invalid Input) Error/.test(message)) {
    return causedBy(Errors.sqlRejected(message.split('\n')[0]!), e)
  }
  return causedBy(Errors.engine('duckdb', message.split('\n')[0]!), e)
}
