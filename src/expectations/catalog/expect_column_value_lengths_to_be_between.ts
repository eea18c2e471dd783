import { sql } from '../../engines/index.js'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { asText } from '../metrics/column-map.js'
import { boundsShape, isOpenBound } from './shared.js'

/** Each value's length (as text) is within [min_value, max_value]. */
export const expectColumnValueLengthsToBeBetween = defineColumnMapExpectation({
  type: 'expect_column_value_lengths_to_be_between',
  kwargs: { column: columnSchema, ...boundsShape },
  unexpected: (k, ctx) => {
    const len = sql`length(${asText(k.column, ctx)})`
    const parts = []
    if (!isOpenBound(k.min_value)) parts.push(k.strict_min ? sql`${len} <= ${Number(k.min_value)}` : sql`${len} < ${Number(k.min_value)}`)
    if (!isOpenBound(k.max_value)) parts.push(k.strict_max ? sql`${len} >= ${Number(k.max_value)}` : sql`${len} > ${Number(k.max_value)}`)
    return parts.length ? sql`(${sql.join(parts, sql` or `)})` : sql`false`
  },
})
