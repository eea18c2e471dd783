import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely'
import type { Column, ColumnSpec, ColumnType, Engine, EngineKind, Query, Relation, ResultSet, Row, Value } from './engine.js'

/**
 * What DuckDB and PostgreSQL share behind the Engine interface; each engine supplies how it runs
 * a query, reads a relation, bulk-inserts, and its table of SQL types.
 */
export abstract class EngineBase implements Engine {
  abstract readonly kind: EngineKind
  abstract readonly db: Kysely<any>
  protected abstract readonly sqlTypes: Record<ColumnType, string>

  abstract from(relation: Relation): RawBuilder<unknown>

  /**
   * A user's SELECT as a subquery, its named inputs as CTEs around it. The user's text sits in a
   * nested subquery, so it may have its own WITH clause and still see the inputs.
   */
  protected userSelect(relation: Extract<Relation, { kind: 'user_sql' }>): RawBuilder<unknown> {
    const text = sql.raw(relation.text.trim().replace(/;+\s*$/, ''))
    const inputs = Object.entries(relation.inputs ?? {})
    if (inputs.length === 0) return sql`(${text})`
    const ctes = sql.join(inputs.map(([name, input]) => sql`${sql.id(name)} as (select * from ${this.from(input)} as ${sql.id(name)})`))
    return sql`(with ${ctes} select * from (${text}) as ${sql.id('user_select')})`
  }
  abstract run(q: Query): Promise<ResultSet>
  abstract insertRows(name: string, columns: readonly ColumnSpec[], rows: readonly Value[][]): Promise<number>
  abstract close(): Promise<void>

  async query<R = Row>(q: Query): Promise<R[]> {
    return (await this.run(q)).rows as R[]
  }

  async execute(q: Query): Promise<void> {
    await this.run(q)
  }

  async describe(relation: Relation): Promise<Column[]> {
    return (await this.run(sql`select * from ${this.from(relation)} as t limit 0`)).columns
  }

  sqlType(spec: ColumnSpec): string {
    if (spec.type === 'list' && spec.elementType) return `${this.sqlTypes[spec.elementType]}[]`
    return this.sqlTypes[spec.type]
  }

  cast(expr: RawBuilder<unknown>, spec: ColumnSpec): RawBuilder<unknown> {
    return sql`cast(${expr} as ${sql.raw(this.sqlType(spec))})`
  }

  async createTable(name: string, columns: readonly ColumnSpec[], options: { replace?: boolean; temporary?: boolean } = {}): Promise<void> {
    if (options.replace) await this.execute(sql`drop table if exists ${sql.id(name)}`)
    const defs = sql.join(columns.map((c) => sql`${sql.id(c.name)} ${sql.raw(this.sqlType(c))}`))
    await this.execute(sql`create ${sql.raw(options.temporary ? 'temporary ' : '')}table ${sql.id(name)} (${defs})`)
  }

  /** `cast($n as <type>)`: a bound value typed for the column it fills. */
  protected typedParam(value: unknown, spec: ColumnSpec): RawBuilder<unknown> {
    return this.cast(sql`${value}`, spec)
  }

  protected compile(q: Query): CompiledQuery {
    return 'compile' in q ? q.compile(this.db) : q
  }
}
