import { z } from 'zod'
import { columnSchema, defineExpectation } from '../define.js'
import { tableColumns } from '../metrics/table.js'

/**
 * The batch's columns are `column_set` in any order; with `exact_match: false` extra columns are
 * allowed. details.mismatched lists `unexpected` (extra) and `missing` columns.
 */
export const expectTableColumnsToMatchSet = defineExpectation({
  type: 'expect_table_columns_to_match_set',
  domain: 'table',
  readsValues: false,
  kwargs: z.looseObject({ column_set: z.array(columnSchema).nullable(), exact_match: z.boolean().nullish() }),
  metrics: () => ({ columns: tableColumns() }),
  evaluate: (k, v) => {
    const observed = v.columns as string[]
    const expected = k.column_set ?? observed
    const unexpected = observed.filter((c) => !expected.includes(c))
    const missing = expected.filter((c) => !observed.includes(c))
    const exact = k.exact_match ?? true
    const mismatched = { ...(unexpected.length ? { unexpected } : {}), ...(missing.length ? { missing } : {}) }
    return {
      success: missing.length === 0 && (!exact || unexpected.length === 0),
      result: { observed_value: observed, ...(Object.keys(mismatched).length ? { details: { mismatched } } : {}) },
    }
  },
})
