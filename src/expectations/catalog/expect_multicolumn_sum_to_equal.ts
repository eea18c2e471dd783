import { z } from 'zod'
import { col, sql } from '../../engines/index.js'
import { MULTICOLUMN_DOMAIN, columnSchema, defineColumnMapExpectation } from '../define.js'

/** In each row, the listed columns sum to `sum_total`. */
export const expectMulticolumnSumToEqual = defineColumnMapExpectation({
  type: 'expect_multicolumn_sum_to_equal',
  kwargs: { column_list: z.array(columnSchema).min(1), sum_total: z.number() },
  map: MULTICOLUMN_DOMAIN,
  unexpected: (k) => sql`(${sql.join(k.column_list.map((c) => col(c)), sql` + `)}) <> ${k.sum_total}`,
})
