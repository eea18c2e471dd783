import { z } from 'zod'
import { col, sql } from '../../engines/index.js'
import { PAIR_DOMAIN, columnSchema, defineColumnMapExpectation } from '../define.js'
import { setLiteral } from '../metrics/column-map.js'

/** In each row, (column_A, column_B) is one of `value_pairs_set`. */
export const expectColumnPairValuesToBeInSet = defineColumnMapExpectation({
  type: 'expect_column_pair_values_to_be_in_set',
  kwargs: { column_A: columnSchema, column_B: columnSchema, value_pairs_set: z.array(z.tuple([z.unknown(), z.unknown()])) },
  map: PAIR_DOMAIN,
  unexpected: (k, ctx) => {
    const matches = k.value_pairs_set.flatMap(([a, b]) => {
      const la = setLiteral(k.column_A, a, ctx), lb = setLiteral(k.column_B, b, ctx)
      return la && lb ? [sql`(${col(k.column_A)} = ${la} and ${col(k.column_B)} = ${lb})`] : []
    })
    return matches.length ? sql`not (${sql.join(matches, sql` or `)})` : sql`true`
  },
})
