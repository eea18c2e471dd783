import { columnSum } from '../metrics/column-aggregate.js'
import { defineAggregateBetween } from './shared.js'

/** The sum of the column's values is within [min_value, max_value]. */
export const expectColumnSumToBeBetween = defineAggregateBetween('expect_column_sum_to_be_between', columnSum)
