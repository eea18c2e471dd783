import { z } from 'zod'
import { sql } from '../../engines/index.js'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { asText, regexMatches } from '../metrics/column-map.js'

/** Each value matches the regular expression `regex` somewhere (an unanchored search, as GX's SQL does). */
export const expectColumnValuesToMatchRegex = defineColumnMapExpectation({
  type: 'expect_column_values_to_match_regex',
  kwargs: { column: columnSchema, regex: z.string() },
  unexpected: (k, ctx) => sql`not ${regexMatches(asText(k.column, ctx), k.regex, ctx)}`,
})
