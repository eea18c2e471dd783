import { z } from 'zod'
import { sql } from '../../engines/index.js'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { asText } from '../metrics/column-map.js'

/** No value matches any of the LIKE patterns. */
export const expectColumnValuesToNotMatchLikePatternList = defineColumnMapExpectation({
  type: 'expect_column_values_to_not_match_like_pattern_list',
  kwargs: { column: columnSchema, like_pattern_list: z.array(z.string()).min(1) },
  unexpected: (k, ctx) => sql`(${sql.join(k.like_pattern_list.map((p) => sql`${asText(k.column, ctx)} like ${p}`), sql` or `)})`,
})
