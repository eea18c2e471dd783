import { z } from 'zod'
import { sql } from '../../engines/index.js'
import { columnSchema, defineColumnMapExpectation } from '../define.js'
import { asText } from '../metrics/column-map.js'

/** Each value's length (as text) equals `value`. */
export const expectColumnValueLengthsToEqual = defineColumnMapExpectation({
  type: 'expect_column_value_lengths_to_equal',
  kwargs: { column: columnSchema, value: z.number().int().min(0) },
  unexpected: (k, ctx) => sql`length(${asText(k.column, ctx)}) <> ${k.value}`,
})
