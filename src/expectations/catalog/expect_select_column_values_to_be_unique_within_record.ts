import { z } from 'zod'
import { MULTICOLUMN_DOMAIN, columnSchema, defineColumnMapExpectation } from '../define.js'
import { anyPairEqual } from '../metrics/multicolumn.js'

/** Within each row, the listed columns hold pairwise different values. */
export const expectSelectColumnValuesToBeUniqueWithinRecord = defineColumnMapExpectation({
  type: 'expect_select_column_values_to_be_unique_within_record',
  kwargs: { column_list: z.array(columnSchema).min(2) },
  map: MULTICOLUMN_DOMAIN,
  unexpected: (k) => anyPairEqual(k.column_list),
})
