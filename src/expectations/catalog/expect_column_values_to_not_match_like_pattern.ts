import { z } from 'zod'
import { sql } from '../../engines/index.js'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { asText } from '../metrics/column-map.js'

/** No value matches the SQL LIKE pattern `like_pattern`. */
export const expectColumnValuesToNotMatchLikePattern = defineColumnMapExpectation({
  type: 'expect_column_values_to_not_match_like_pattern',
  kwargs: { column: columnSchema, like_pattern: z.string() },
  unexpected: (k, ctx) => sql`${asText(k.column, ctx)} like ${k.like_pattern}`,
})
