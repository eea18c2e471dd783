import { columnMin } from '../metrics/column-aggregate.js'
import { defineAggregateBetween } from './shared.js'

/** The column's smallest value (numbers, dates or timestamps) is within [min_value, max_value]. */
export const expectColumnMinToBeBetween = defineAggregateBetween('expect_column_min_to_be_between', columnMin)
