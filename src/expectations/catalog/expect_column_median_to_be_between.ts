import { columnMedian } from '../metrics/column-aggregate.js'
import { defineAggregateBetween } from './shared.js'

/** The column's median (nulls ignored; the mean of the two middle values for an even count) is within [min_value, max_value]. */
export const expectColumnMedianToBeBetween = defineAggregateBetween('expect_column_median_to_be_between', columnMedian)
