import { z } from 'zod'
import { columnSchema, defineExpectation } from '../define.js'
import { columnDistinctCount, columnNonNullCount } from '../metrics/column-aggregate.js'
import { boundsShape, inBounds } from './shared.js'

/** distinct non-null values / non-null values is within [min_value, max_value]. */
export const expectColumnProportionOfUniqueValuesToBeBetween = defineExpectation({
  type: 'expect_column_proportion_of_unique_values_to_be_between',
  domain: 'column',
  kwargs: z.looseObject({ column: columnSchema, ...boundsShape }),
  metrics: (k) => ({ distinct: columnDistinctCount(k.column), nonNull: columnNonNullCount(k.column) }),
  evaluate: (k, v) => {
    const nonNull = Number(v.nonNull)
    const observed = nonNull === 0 ? null : Number(v.distinct) / nonNull
    return { success: inBounds(observed, k), result: { observed_value: observed } }
  },
})
