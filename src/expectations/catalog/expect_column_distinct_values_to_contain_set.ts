import { defineDistinctSetExpectation, memberOf } from './shared.js'

/** The distinct values include every member of `value_set`. */
export const expectColumnDistinctValuesToContainSet = defineDistinctSetExpectation('expect_column_distinct_values_to_contain_set',
  (observed, set) => (set ?? []).every((s) => memberOf(s, observed)))
