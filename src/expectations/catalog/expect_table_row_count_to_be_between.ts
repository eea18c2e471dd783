import { z } from 'zod'
import { defineExpectation } from '../define.js'
import { rowCount } from '../metrics/table.js'
import { boundsShape, inBounds } from './shared.js'

/** The batch has between min_value and max_value rows. */
export const expectTableRowCountToBeBetween = defineExpectation({
  type: 'expect_table_row_count_to_be_between',
  domain: 'table',
  readsValues: false,
  kwargs: z.looseObject(boundsShape),
  metrics: () => ({ rows: rowCount() }),
  evaluate: (k, v) => ({ success: inBounds(v.rows, k), result: { observed_value: v.rows } }),
})
