import { z } from 'zod'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { asText, regexMatches } from '../metrics/column-map.js'

/** No value matches the regular expression `regex`. */
export const expectColumnValuesToNotMatchRegex = defineColumnMapExpectation({
  type: 'expect_column_values_to_not_match_regex',
  kwargs: { column: columnSchema, regex: z.string() },
  unexpected: (k, ctx) => regexMatches(asText(k.column, ctx), k.regex, ctx),
})
