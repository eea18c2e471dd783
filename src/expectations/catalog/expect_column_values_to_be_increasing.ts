import { defineMonotonicExpectation } from './monotonic.js'

/** Each value is ≥ (`strictly`: >) the previous one in the batch's row order. */
export const expectColumnValuesToBeIncreasing = defineMonotonicExpectation('expect_column_values_to_be_increasing', 'increasing')
