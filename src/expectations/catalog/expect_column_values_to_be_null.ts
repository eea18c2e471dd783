import { defineNullCheck } from './null-check.js'

/** Every value is null (or at least `mostly` of them). */
export const expectColumnValuesToBeNull = defineNullCheck('expect_column_values_to_be_null', false)
