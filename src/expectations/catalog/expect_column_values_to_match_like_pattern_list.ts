import { z } from 'zod'
import { sql } from '../../engines/index.js'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { asText } from '../metrics/column-map.js'

/** Each value matches any (default) or all of the LIKE patterns. */
export const expectColumnValuesToMatchLikePatternList = defineColumnMapExpectation({
  type: 'expect_column_values_to_match_like_pattern_list',
  kwargs: { column: columnSchema, like_pattern_list: z.array(z.string()).min(1), match_on: z.enum(['any', 'all']).default('any') },
  unexpected: (k, ctx) => {
    const matches = k.like_pattern_list.map((p) => sql`${asText(k.column, ctx)} like ${p}`)
    return sql`not (${sql.join(matches, k.match_on === 'any' ? sql` or ` : sql` and `)})`
  },
})
