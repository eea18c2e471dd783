import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { duplicateCount, duplicateRowCount } from '../metrics/multicolumn.js'

/** No non-null value occurs twice; every row of a duplicated value is unexpected (as GX counts). */
export const expectColumnValuesToBeUnique = defineColumnMapExpectation({
  type: 'expect_column_values_to_be_unique',
  kwargs: { column: columnSchema },
  unexpectedCount: (k, missing, ignore) => duplicateRowCount([k.column], missing, ignore),
  derived: (k) => [duplicateCount([k.column])],
  unexpected: (k) => duplicateCount([k.column]).isDuplicate,
})
