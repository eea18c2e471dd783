import { sql } from '../../engines/index.js'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { boundsShape, isOpenBound } from './shared.js'
import { boundLiteral } from '../metrics/column-map.js'

/** Each non-null value is within [min_value, max_value] (strict_min/strict_max make a side open). */
export const expectColumnValuesToBeBetween = defineColumnMapExpectation({
  type: 'expect_column_values_to_be_between',
  kwargs: { column: columnSchema, ...boundsShape },
  unexpected: (k, ctx) => {
    const parts = []
    const c = sql.id(k.column)
    if (!isOpenBound(k.min_value)) {
      const lo = boundLiteral(k.column, k.min_value, ctx)
      parts.push(k.strict_min ? sql`${c} <= ${lo}` : sql`${c} < ${lo}`)
    }
    if (!isOpenBound(k.max_value)) {
      const hi = boundLiteral(k.column, k.max_value, ctx)
      parts.push(k.strict_max ? sql`${c} >= ${hi}` : sql`${c} > ${hi}`)
    }
    return parts.length ? sql`(${sql.join(parts, sql` or `)})` : sql`false`
  },
})
