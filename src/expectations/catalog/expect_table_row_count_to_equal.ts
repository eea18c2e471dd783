import { z } from 'zod'
import { defineExpectation } from '../define.js'
import { rowCount } from '../metrics/table.js'

/** The batch has exactly `value` rows. */
export const expectTableRowCountToEqual = defineExpectation({
  type: 'expect_table_row_count_to_equal',
  domain: 'table',
  readsValues: false,
  kwargs: z.looseObject({ value: z.number().int().min(0) }),
  metrics: () => ({ rows: rowCount() }),
  evaluate: (k, v) => ({ success: v.rows === k.value, result: { observed_value: v.rows } }),
})
