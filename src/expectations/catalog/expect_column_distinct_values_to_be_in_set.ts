import { defineDistinctSetExpectation, memberOf } from './shared.js'

/** Every distinct value is in `value_set` (a null set accepts everything). */
export const expectColumnDistinctValuesToBeInSet = defineDistinctSetExpectation('expect_column_distinct_values_to_be_in_set',
  (observed, set) => set === null || observed.every((v) => memberOf(v, set)))
