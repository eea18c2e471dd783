import { z } from 'zod'
import { col, sql } from '../../engines/index.js'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { previousValue } from '../metrics/column-map.js'

/**
 * Values increase (or decrease) along the batch's row order: each is compared with the previous
 * value (`strictly`: equal is unexpected too). SQL has no row order of its own: the order is the
 * one the engine reads the batch in (a file's or table's insertion order on DuckDB and on a freshly
 * loaded PostgreSQL table).
 */
export function defineMonotonicExpectation(type: `expect_${string}`, direction: 'increasing' | 'decreasing') {
  return defineColumnMapExpectation({
    type,
    kwargs: { column: columnSchema, strictly: z.boolean().default(false) },
    derived: (k) => [previousValue(k.column)],
    unexpected: (k) => {
      const [c, prev] = [col(k.column), sql.id(previousValue(k.column).alias)]
      if (direction === 'increasing') return k.strictly ? sql`${c} <= ${prev}` : sql`${c} < ${prev}`
      return k.strictly ? sql`${c} >= ${prev}` : sql`${c} > ${prev}`
    },
  })
}
