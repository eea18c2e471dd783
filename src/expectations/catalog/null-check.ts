import { z } from 'zod'
import { col, sql } from '../../engines/index.js'
import { columnSchema, defineExpectation, mapEvaluation, mostlySchema } from '../define.js'
import { countWhere, rowCount } from '../metrics/table.js'

/**
 * The null checks, where nulls are the subject rather than skipped: unexpected rows are the nulls
 * (`not_be_null`) or the non-nulls (`be_null`), over all rows, and missing_count is 0 as GX reports.
 */
export function defineNullCheck(type: `expect_${string}`, unexpectedIsNull: boolean) {
  const unexpected = (column: string) => (unexpectedIsNull ? sql`${col(column)} is null` : sql`${col(column)} is not null`)
  return defineExpectation({
    type,
    domain: 'column',
    kwargs: z.looseObject({ column: columnSchema, mostly: mostlySchema }),
    metrics: (k) => ({
      element_count: rowCount(),
      unexpected: countWhere(unexpectedIsNull ? 'column_values.null.count' : 'column_values.nonnull.count', { column: k.column }, () => unexpected(k.column)),
    }),
    evaluate: (k, v) => mapEvaluation(Number(v.element_count), 0, Number(v.unexpected), k.mostly),
    unexpectedRows: (k) => ({ domain: 'column', columns: [k.column], where: unexpected(k.column) }),
  })
}
