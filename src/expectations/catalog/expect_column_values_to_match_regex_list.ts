import { z } from 'zod'
import { sql } from '../../engines/index.js'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { asText, regexMatches } from '../metrics/column-map.js'

/** Each value matches any (`match_on: "any"`, the default) or all of the regular expressions. */
export const expectColumnValuesToMatchRegexList = defineColumnMapExpectation({
  type: 'expect_column_values_to_match_regex_list',
  kwargs: { column: columnSchema, regex_list: z.array(z.string()).min(1), match_on: z.enum(['any', 'all']).default('any') },
  unexpected: (k, ctx) => {
    const matches = k.regex_list.map((r) => regexMatches(asText(k.column, ctx), r, ctx))
    return sql`not (${sql.join(matches, k.match_on === 'any' ? sql` or ` : sql` and `)})`
  },
})
