import { z } from 'zod'
import { columnSchema, defineExpectation } from '../define.js'
import { tableColumns } from '../metrics/table.js'

/** The batch has `column` (at 0-based position `column_index`, when given). */
export const expectColumnToExist = defineExpectation({
  type: 'expect_column_to_exist',
  domain: 'table',
  readsValues: false,
  kwargs: z.looseObject({ column: columnSchema, column_index: z.number().int().min(0).nullish() }),
  metrics: () => ({ columns: tableColumns() }),
  evaluate: (k, v) => {
    const columns = v.columns as string[]
    const at = columns.indexOf(k.column)
    const success = at >= 0 && (k.column_index === null || k.column_index === undefined || at === k.column_index)
    return { success, result: { observed_value: columns } }
  },
})
