import { z } from 'zod'
import { defineExpectation } from '../define.js'
import { tableColumns } from '../metrics/table.js'

/** The batch has exactly `value` columns. */
export const expectTableColumnCountToEqual = defineExpectation({
  type: 'expect_table_column_count_to_equal',
  domain: 'table',
  readsValues: false,
  kwargs: z.looseObject({ value: z.number().int().min(0) }),
  metrics: () => ({ columns: tableColumns() }),
  evaluate: (k, v) => {
    const n = (v.columns as string[]).length
    return { success: n === k.value, result: { observed_value: n } }
  },
})
