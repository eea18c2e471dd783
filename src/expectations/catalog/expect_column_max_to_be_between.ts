import { columnMax } from '../metrics/column-aggregate.js'
import { defineAggregateBetween } from './shared.js'

/** The column's largest value (numbers, dates or timestamps) is within [min_value, max_value]. */
export const expectColumnMaxToBeBetween = defineAggregateBetween('expect_column_max_to_be_between', columnMax)
