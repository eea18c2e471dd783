import { hashValue } from '../../core/index.js'
import { col, sql, type RawBuilder } from '../../engines/index.js'
import type { DerivedColumn, QueryMetric } from './metric.js'

/**
 * How many rows share this row's values of `columns`: a window column
 * `count(*) over (partition by "a", "b")`, computed in the same scan as the suite's aggregates.
 */
export function duplicateCount(columns: readonly string[]): DerivedColumn & { isDuplicate: RawBuilder<unknown> } {
  const alias = `__asof_dup_${hashValue(columns).slice(0, 12)}`
  return {
    alias,
    sql: () => sql`count(*) over (partition by ${sql.join(columns.map((c) => col(c)))})`,
    isDuplicate: sql`${sql.id(alias)} > 1`,
  }
}

/** `"a" = "b" or "a" = "c" or "b" = "c"`: some two of the columns hold the same value. */
export function anyPairEqual(columns: readonly string[]): RawBuilder<unknown> {
  const pairs: RawBuilder<unknown>[] = []
  for (let i = 0; i < columns.length; i++) {
    for (let j = i + 1; j < columns.length; j++) pairs.push(sql`${col(columns[i]!)} = ${col(columns[j]!)}`)
  }
  return pairs.length ? sql`(${sql.join(pairs, sql` or `)})` : sql`false`
}

/**
 * How many rows share their values of `columns` with another row (GX counts every such row as
 * unexpected), missing rows excluded: one GROUP BY query,
 * `select sum(n) from (select count(*) as n from <batch> where not <missing> group by "a", "b" having count(*) > 1)`.
 */
export function duplicateRowCount(columns: readonly string[], missing: RawBuilder<unknown>, ignoreRowIf: string): QueryMetric {
  return {
    shape: 'query',
    name: 'columns.duplicate_row_count',
    args: { columns, ignore_row_if: ignoreRowIf },
    async run(scope) {
      const keys = sql.join(columns.map((c) => col(c)))
      const [row] = await scope.engine.query<{ n: unknown }>(sql`select coalesce(sum(n), 0) as n from (
        select count(*) as n from ${scope.from} as t where not ${missing} group by ${keys} having count(*) > 1) as g`)
      return Number(row?.n ?? 0)
    },
  }
}
