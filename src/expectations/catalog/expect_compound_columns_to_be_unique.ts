import { z } from 'zod'
import { MULTICOLUMN_DOMAIN, columnSchema, defineColumnMapExpectation } from '../define.js'
import { duplicateCount, duplicateRowCount } from '../metrics/multicolumn.js'

/** No combination of the columns' values occurs twice; every row of a duplicated combination is unexpected. */
export const expectCompoundColumnsToBeUnique = defineColumnMapExpectation({
  type: 'expect_compound_columns_to_be_unique',
  kwargs: { column_list: z.array(columnSchema).min(1) },
  map: MULTICOLUMN_DOMAIN,
  unexpectedCount: (k, missing, ignore) => duplicateRowCount(k.column_list, missing, ignore),
  derived: (k) => [duplicateCount(k.column_list)],
  unexpected: (k) => duplicateCount(k.column_list).isDuplicate,
})
