import { z } from 'zod'
import { col, sql } from '../../engines/index.js'
import { PAIR_DOMAIN, columnSchema, defineColumnMapExpectation } from '../define.js'

/**
 * In each row, column_A > column_B (≥ with `or_equal`). Suites also spell the type
 * `expect_column_pair_values_A_to_be_greater_than_B`; types are read lower-cased.
 */
export const expectColumnPairValuesAToBeGreaterThanB = defineColumnMapExpectation({
  type: 'expect_column_pair_values_a_to_be_greater_than_b',
  kwargs: { column_A: columnSchema, column_B: columnSchema, or_equal: z.boolean().nullish(), parse_strings_as_datetimes: z.boolean().optional(), allow_cross_type_comparisons: z.boolean().optional() },
  map: PAIR_DOMAIN,
  unexpected: (k) => (k.or_equal ? sql`not (${col(k.column_A)} >= ${col(k.column_B)})` : sql`not (${col(k.column_A)} > ${col(k.column_B)})`),
})
