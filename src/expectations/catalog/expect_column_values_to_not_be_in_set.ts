import { z } from 'zod'
import { sql } from '../../engines/index.js'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { inSet } from '../metrics/column-map.js'

/** No value is one of `value_set`. */
export const expectColumnValuesToNotBeInSet = defineColumnMapExpectation({
  type: 'expect_column_values_to_not_be_in_set',
  kwargs: { column: columnSchema, value_set: z.array(z.unknown()).nullable(), parse_strings_as_datetimes: z.boolean().optional() },
  unexpected: (k, ctx) => (k.value_set === null ? sql`false` : inSet(k.column, k.value_set, ctx)),
})
