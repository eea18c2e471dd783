import { defineValueCheckExpectation } from './value-check-expectation.js'

/** Each value parses as JSON. */
export const expectColumnValuesToBeJsonParseable = defineValueCheckExpectation({
  type: 'expect_column_values_to_be_json_parseable',
  kwargs: {},
  check: () => (value) => {
    try {
      JSON.parse(value)
      return true
    } catch {
      return false
    }
  },
})
