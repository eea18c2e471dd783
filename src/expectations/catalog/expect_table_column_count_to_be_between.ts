import { z } from 'zod'
import { defineExpectation } from '../define.js'
import { tableColumns } from '../metrics/table.js'
import { boundsShape, inBounds } from './shared.js'

/** The batch has between min_value and max_value columns. */
export const expectTableColumnCountToBeBetween = defineExpectation({
  type: 'expect_table_column_count_to_be_between',
  domain: 'table',
  readsValues: false,
  kwargs: z.looseObject(boundsShape),
  metrics: () => ({ columns: tableColumns() }),
  evaluate: (k, v) => {
    const n = (v.columns as string[]).length
    return { success: inBounds(n, k), result: { observed_value: n } }
  },
})
