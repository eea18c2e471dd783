import { z } from 'zod'
import { col, sql } from '../../engines/index.js'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import type { DerivedColumn } from '../metrics/metric.js'
import { hashValue } from '../../core/index.js'

/** The z-score of each value, `(x - mean) / stddev_samp`, as a window over the whole batch. */
function zScore(column: string): DerivedColumn {
  return {
    alias: `__asof_z_${hashValue(column).slice(0, 12)}`,
    sql: () => sql`(${col(column)} - avg(${col(column)}) over ()) / nullif(stddev_samp(${col(column)}) over (), 0)`,
  }
}

/** Each value's z-score is below `threshold` (in absolute value when `double_sided`). */
export const expectColumnValueZScoresToBeLessThan = defineColumnMapExpectation({
  type: 'expect_column_value_z_scores_to_be_less_than',
  kwargs: { column: columnSchema, threshold: z.number(), double_sided: z.boolean().default(false) },
  derived: (k) => [zScore(k.column)],
  unexpected: (k) => {
    const z = sql.id(zScore(k.column).alias)
    return k.double_sided ? sql`not (abs(${z}) < ${k.threshold})` : sql`not (${z} < ${k.threshold})`
  },
})
