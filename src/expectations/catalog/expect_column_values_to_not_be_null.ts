import { defineNullCheck } from './null-check.js'

/** Every value is non-null (or at least `mostly` of them). */
export const expectColumnValuesToNotBeNull = defineNullCheck('expect_column_values_to_not_be_null', true)
