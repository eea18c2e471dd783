import { z } from 'zod'
import { col, sql } from '../../engines/index.js'
import { columnSchema, defineExpectation, mapEvaluation, mostlySchema, type ExpectationDefinition } from '../define.js'
import { asText } from '../metrics/column-map.js'
import { countWhere, rowCount } from '../metrics/table.js'
import { valueCheck, type ValueCheckResult } from '../metrics/value-check.js'

/**
 * A column-map expectation whose check runs in JavaScript over the distinct values
 * (see metrics/value-check.ts); counts, `mostly` and the unexpected rows work as for SQL conditions.
 */
export function defineValueCheckExpectation<S extends z.ZodRawShape>(options: {
  type: `expect_${string}`
  kwargs: S
  check(kwargs: z.output<z.ZodObject<S>>): (value: string) => boolean
}): ExpectationDefinition<z.ZodType<z.output<z.ZodObject<S>> & { column: string; mostly: number }>> {
  const schema = z.looseObject({ column: columnSchema, mostly: mostlySchema, ...options.kwargs }) as unknown as z.ZodType<z.output<z.ZodObject<S>> & { column: string; mostly: number }>
  return defineExpectation({
    type: options.type,
    domain: 'column',
    kwargs: schema,
    metrics: (k) => {
      const { column: _c, mostly: _m, ...args } = k as Record<string, unknown>
      return {
        element_count: rowCount(),
        missing_count: countWhere('column_values.null.count', { column: k.column }, () => sql`${col(k.column)} is null`),
        check: valueCheck(`${options.type}.unexpected`, k.column, args, options.check(k)),
      }
    },
    evaluate: (k, v) => mapEvaluation(Number(v.element_count), Number(v.missing_count), (v.check as ValueCheckResult).unexpectedCount, k.mostly),
    unexpectedRows: (k, ctx, v) => {
      const bad = (v.check as ValueCheckResult).unexpectedValues
      return { domain: 'column', columns: [k.column], where: bad.length ? sql`${asText(k.column, ctx)} in (${sql.join(bad)})` : sql`false` }
    },
  })
}
