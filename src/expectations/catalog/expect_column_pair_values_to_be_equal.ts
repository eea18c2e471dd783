import { col, sql } from '../../engines/index.js'
import { PAIR_DOMAIN, columnSchema, defineColumnMapExpectation } from '../define.js'

/** In each row, column_A equals column_B (a null on one side only is a mismatch). */
export const expectColumnPairValuesToBeEqual = defineColumnMapExpectation({
  type: 'expect_column_pair_values_to_be_equal',
  kwargs: { column_A: columnSchema, column_B: columnSchema },
  map: PAIR_DOMAIN,
  unexpected: (k) => sql`${col(k.column_A)} is distinct from ${col(k.column_B)}`,
})
