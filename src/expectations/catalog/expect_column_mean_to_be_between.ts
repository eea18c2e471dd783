import { columnMean } from '../metrics/column-aggregate.js'
import { defineAggregateBetween } from './shared.js'

/** The column's mean (nulls ignored) is within [min_value, max_value]. */
export const expectColumnMeanToBeBetween = defineAggregateBetween('expect_column_mean_to_be_between', columnMean)
