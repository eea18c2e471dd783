import { z } from 'zod'
import { columnSchema, defineExpectation } from '../define.js'
import { tableColumns } from '../metrics/table.js'

/** The batch's columns are exactly `column_list`, in order; details list each mismatched position. */
export const expectTableColumnsToMatchOrderedList = defineExpectation({
  type: 'expect_table_columns_to_match_ordered_list',
  domain: 'table',
  readsValues: false,
  kwargs: z.looseObject({ column_list: z.array(columnSchema).nullable() }),
  metrics: () => ({ columns: tableColumns() }),
  evaluate: (k, v) => {
    const observed = v.columns as string[]
    const expected = k.column_list ?? observed
    const mismatched = []
    for (let i = 0; i < Math.max(observed.length, expected.length); i++) {
      if (observed[i] !== expected[i]) mismatched.push({ 'Expected Column Position': i, 'Expected': expected[i] ?? null, 'Found': observed[i] ?? null })
    }
    return {
      success: mismatched.length === 0,
      result: { observed_value: observed, ...(mismatched.length ? { details: { mismatched } } : {}) },
    }
  },
})
