import { z } from 'zod'
import { col, sql } from '../../engines/index.js'
import { columnSchema, defineExpectation, mapEvaluation, mostlySchema } from '../define.js'
import { countWhere, rowCount } from '../metrics/table.js'

/**
 * Every value is non-null (or at least `mostly` of them). Unlike other map expectations the nulls
 * ARE the unexpected rows, so the null count is both missing_count's complement and unexpected_count,
 * as GX reports: unexpected_percent over all rows, missing_count 0.
 */
export const expectColumnValuesToNotBeNull = defineExpectation({
  type: 'expect_column_values_to_not_be_null',
  domain: 'column',
  kwargs: z.looseObject({ column: columnSchema, mostly: mostlySchema }),
  metrics: (k) => ({
    element_count: rowCount(),
    null_count: countWhere('column_values.null.count', { column: k.column }, () => sql`${col(k.column)} is null`),
  }),
  evaluate: (k, v) => {
    const e = mapEvaluation(Number(v.element_count), 0, Number(v.null_count), k.mostly)
    return { success: e.success, result: { ...e.result, missing_count: 0, missing_percent: 0 } }
  },
  unexpectedRows: (k) => ({ domain: 'column', columns: [k.column], where: sql`${col(k.column)} is null` }),
})
