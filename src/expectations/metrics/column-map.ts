import { Errors } from '../../core/index.js'
import { sql, type ColumnType, type RawBuilder } from '../../engines/index.js'
import type { MetricContext } from './metric.js'

const NUMERIC: ReadonlySet<ColumnType> = new Set(['int32', 'int64', 'float32', 'float64', 'decimal'])
const TEMPORAL: ReadonlySet<ColumnType> = new Set(['timestamp', 'date'])

/** The logical type of a batch column (undefined when the batch does not have it). */
export function columnType(column: string, ctx: MetricContext): ColumnType | undefined {
  return ctx.columns.find((c) => c.name === column)?.type
}

export function isNumericColumn(column: string, ctx: MetricContext): boolean {
  const t = columnType(column, ctx)
  return t !== undefined && NUMERIC.has(t)
}

/**
 * A bound compared with a column, as a bound parameter of the column's kind: numbers for numeric
 * columns (a bound written as "5" is read as 5), a timestamp cast for temporal ones ("2020-01-01",
 * `now()` parameters), text otherwise. A bound that cannot be compared is a bad kwarg.
 */
export function boundLiteral(column: string, value: number | string, ctx: MetricContext): RawBuilder<unknown> {
  const t = columnType(column, ctx)
  if (t && NUMERIC.has(t)) {
    const n = typeof value === 'number' ? value : Number(value)
    if (typeof value === 'string' && (value.trim() === '' || Number.isNaN(n))) {
      throw Errors.badInput('kwargs', `bound ${JSON.stringify(value)} is not a number, but column ${JSON.stringify(column)} is numeric`)
    }
    return sql`${n}`
  }
  if (t && TEMPORAL.has(t)) {
    if (typeof value === 'number') throw Errors.badInput('kwargs', `bound ${value} is a number, but column ${JSON.stringify(column)} holds ${t}s`)
    return t === 'date' ? sql`cast(${value} as date)` : sql`cast(${value} as timestamptz)`
  }
  return typeof value === 'number' ? sql`${value}` : sql`${value}`
}
