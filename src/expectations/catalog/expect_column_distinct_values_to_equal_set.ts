import { defineDistinctSetExpectation, memberOf } from './shared.js'

/** The distinct values are exactly `value_set`. */
export const expectColumnDistinctValuesToEqualSet = defineDistinctSetExpectation('expect_column_distinct_values_to_equal_set',
  (observed, set) => observed.every((v) => memberOf(v, set ?? [])) && (set ?? []).every((s) => memberOf(s, observed)))
