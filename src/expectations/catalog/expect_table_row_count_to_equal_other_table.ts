import { z } from 'zod'
import { sql } from '../../engines/index.js'
import { defineExpectation } from '../define.js'
import { rowCount } from '../metrics/table.js'

/** The batch has as many rows as the table `other_table_name` on the same engine (one more query). */
export const expectTableRowCountToEqualOtherTable = defineExpectation({
  type: 'expect_table_row_count_to_equal_other_table',
  domain: 'table',
  readsValues: false,
  kwargs: z.looseObject({ other_table_name: z.string().min(1) }),
  metrics: (k) => ({
    self: rowCount(),
    other: {
      shape: 'query',
      name: 'table.row_count.other',
      args: { table: k.other_table_name },
      run: async (scope) => {
        const [row] = await scope.engine.query<{ n: unknown }>(sql`select count(*) as n from ${scope.engine.from({ kind: 'table', name: k.other_table_name })} as o`)
        return Number(row?.n)
      },
    },
  }),
  evaluate: (_k, v) => ({ success: v.self === v.other, result: { observed_value: { self: v.self, other: v.other } } }),
})
