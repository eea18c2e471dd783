import { columnDistinctCount } from '../metrics/column-aggregate.js'
import { defineAggregateBetween } from './shared.js'

/** The number of distinct non-null values is within [min_value, max_value]. */
export const expectColumnUniqueValueCountToBeBetween = defineAggregateBetween('expect_column_unique_value_count_to_be_between', columnDistinctCount)
