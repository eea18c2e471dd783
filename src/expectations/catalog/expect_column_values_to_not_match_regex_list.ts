import { z } from 'zod'
import { sql } from '../../engines/index.js'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { asText, regexMatches } from '../metrics/column-map.js'

/** No value matches any of the regular expressions. */
export const expectColumnValuesToNotMatchRegexList = defineColumnMapExpectation({
  type: 'expect_column_values_to_not_match_regex_list',
  kwargs: { column: columnSchema, regex_list: z.array(z.string()).min(1) },
  unexpected: (k, ctx) => sql`(${sql.join(k.regex_list.map((r) => regexMatches(asText(k.column, ctx), r, ctx)), sql` or `)})`,
})
