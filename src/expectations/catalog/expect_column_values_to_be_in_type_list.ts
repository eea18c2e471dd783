import { z } from 'zod'
import { columnSchema, defineExpectation } from '../define.js'
import { columnTypeName } from '../metrics/schema.js'

/** The column's type is one of `type_list` (a null list accepts any type, as in GX). */
export const expectColumnValuesToBeInTypeList = defineExpectation({
  type: 'expect_column_values_to_be_in_type_list',
  domain: 'column',
  kwargs: z.looseObject({ column: columnSchema, type_list: z.array(z.string().min(1)).nullable(), mostly: z.number().min(0).max(1).optional() }),
  metrics: (k) => ({ type: columnTypeName(k.column, k.type_list) }),
  evaluate: (_k, v) => {
    const t = v.type as { name: string; matches: boolean }
    return { success: t.matches, result: { observed_value: t.name } }
  },
})
