import { z } from 'zod'
import { columnSchema, defineExpectation } from '../define.js'
import { columnTypeName } from '../metrics/schema.js'

/**
 * The column is of type `type_` (read from the batch's schema, as GX does on SQL engines). Names go
 * through the engine's alias table (type-aliases.ts): `INTEGER`, `DOUBLE_PRECISION`, `int64`, `object`…
 */
export const expectColumnValuesToBeOfType = defineExpectation({
  type: 'expect_column_values_to_be_of_type',
  domain: 'column',
  kwargs: z.looseObject({ column: columnSchema, type_: z.string().min(1), mostly: z.number().min(0).max(1).optional() }),
  metrics: (k) => ({ type: columnTypeName(k.column, [k.type_]) }),
  evaluate: (_k, v) => {
    const t = v.type as { name: string; matches: boolean }
    return { success: t.matches, result: { observed_value: t.name } }
  },
})
