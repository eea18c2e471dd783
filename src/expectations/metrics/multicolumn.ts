import { hashValue } from '../../core/index.js'
import { col, sql, type RawBuilder } from '../../engines/index.js'
import type { DerivedColumn } from './metric.js'

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
