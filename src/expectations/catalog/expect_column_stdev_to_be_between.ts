import { columnStdev } from '../metrics/column-aggregate.js'
import { defineAggregateBetween } from './shared.js'

/** The column's sample standard deviation (n − 1) is within [min_value, max_value]. */
export const expectColumnStdevToBeBetween = defineAggregateBetween('expect_column_stdev_to_be_between', columnStdev)
