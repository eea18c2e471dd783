import { defineMonotonicExpectation } from './monotonic.js'

/** Each value is ≤ (`strictly`: <) the previous one in the batch's row order. */
export const expectColumnValuesToBeDecreasing = defineMonotonicExpectation('expect_column_values_to_be_decreasing', 'decreasing')
