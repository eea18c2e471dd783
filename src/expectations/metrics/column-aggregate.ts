import { col, sql, type RawBuilder } from '../../engines/index.js'
import type { AggregateMetric, MetricContext } from './metric.js'

/** A number from an engine value (bigint, numeric string, number); null stays null. */
export function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null
  return typeof v === 'number' ? v : Number(v)
}

/** An aggregate over one column, e.g. `column.mean` = `avg("x")`. */
export function columnAggregate(
  name: string,
  column: string,
  expr: (c: RawBuilder<unknown>, ctx: MetricContext) => RawBuilder<unknown>,
  normalize: (raw: unknown) => unknown = (v) => v,
  extraArgs: Record<string, unknown> = {},
): AggregateMetric {
  return { shape: 'aggregate', name, args: { column, ...extraArgs }, sql: (ctx) => expr(col(column), ctx), normalize }
}

/** A timestamp/date/number value as JSON: numbers stay numbers, others as engines return them. */
function scalar(v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : v
}

export const columnMin = (column: string) => columnAggregate('column.min', column, (c) => sql`min(${c})`, scalar)
export const columnMax = (column: string) => columnAggregate('column.max', column, (c) => sql`max(${c})`, scalar)
export const columnSum = (column: string) => columnAggregate('column.sum', column, (c) => sql`sum(${c})`, toNumber)
export const columnMean = (column: string) => columnAggregate('column.mean', column, (c) => sql`avg(${c})`, toNumber)
/** Sample standard deviation (n − 1), as GX and pandas compute it. */
export const columnStdev = (column: string) => columnAggregate('column.standard_deviation', column, (c) => sql`stddev_samp(${c})`, toNumber)
export const columnNonNullCount = (column: string) => columnAggregate('column.non_null_count', column, (c) => sql`count(${c})`, Number)
export const columnDistinctCount = (column: string) => columnAggregate('column.distinct_values.count', column, (c) => sql`count(distinct ${c})`, Number)

/** Continuous quantiles (linear interpolation, as numpy's default and GX's SQL use). */
export function columnQuantiles(column: string, quantiles: readonly number[]): AggregateMetric {
  return columnAggregate('column.quantile_values', column, (c, ctx) => {
    if (ctx.engine === 'duckdb') return sql`quantile_cont(${c}, ${sql.val([...quantiles])}::double[])`
    return sql`percentile_cont(${sql.val([...quantiles])}::double precision[]) within group (order by ${c})`
  }, (v) => (Array.isArray(v) ? v.map(toNumber) : v === null ? null : [toNumber(v)]), { quantiles })
}

/** The median, through the same quantile machinery. */
export function columnMedian(column: string): AggregateMetric {
  return columnAggregate('column.median', column, (c, ctx) => {
    if (ctx.engine === 'duckdb') return sql`quantile_cont(${c}, 0.5)`
    return sql`percentile_cont(0.5) within group (order by ${c})`
  }, toNumber)
}

/** The distinct non-null values, sorted (a list aggregate: DuckDB `list`, PostgreSQL `array_agg`). */
export function columnDistinctValues(column: string): AggregateMetric {
  return columnAggregate('column.distinct_values', column, (c, ctx) => {
    if (ctx.engine === 'duckdb') return sql`list(distinct ${c} order by ${c}) filter (where ${c} is not null)`
    return sql`array_agg(distinct ${c} order by ${c}) filter (where ${c} is not null)`
  }, (v) => (Array.isArray(v) ? v.map(scalar) : []))
}
