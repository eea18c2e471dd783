import { col, sql, type Row } from '../../engines/index.js'
import type { QueryMetric } from './metric.js'

/**
 * For checks SQL engines cannot express alike (dateutil parsing, strftime formats, JSON validity):
 * one `GROUP BY` query returns each distinct non-null value (as text) with its count, the check runs
 * in JavaScript once per distinct value, and the unexpected values found feed the rows pass as a
 * bound `in (…)` list. Work is proportional to the number of distinct values.
 */
export interface ValueCheckResult {
  readonly unexpectedCount: number
  readonly unexpectedValues: readonly string[]
}

export function valueCheck(name: string, column: string, args: Record<string, unknown>, isExpected: (value: string) => boolean): QueryMetric {
  return {
    shape: 'query',
    name,
    args: { column, ...args },
    async run(scope): Promise<ValueCheckResult> {
      const rows = await scope.engine.query<Row>(
        sql`select cast(${col(column)} as text) as v, count(*) as n from ${scope.from} as t where ${col(column)} is not null group by 1`)
      const bad = rows.filter((r) => !isExpected(String(r.v)))
      return { unexpectedCount: bad.reduce((s, r) => s + Number(r.n), 0), unexpectedValues: bad.map((r) => String(r.v)) }
    },
  }
}
