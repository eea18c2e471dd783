import { col, sql, type RawBuilder } from '../../engines/index.js'
import type { AggregateMetric, MetricContext, QueryMetric } from './metric.js'

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
  sorts = false,
): AggregateMetric {
  return { shape: 'aggregate', name, args: { column, ...extraArgs }, sql: (ctx) => expr(col(column), ctx), normalize, ...(sorts ? { sorts } : {}) }
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
export const columnDistinctCount = (column: string) => columnAggregate('column.distinct_values.count', column, (c) => sql`count(distinct ${c})`, Number, {}, true)

/** Discrete quantiles (values of the column, as GX computes them on SQL engines). */
export function columnQuantiles(column: string, quantiles: readonly number[]): AggregateMetric {
  return columnAggregate('column.quantile_values', column, (c, ctx) => {
    // One cast parameter per quantile: a bound JS array would be typed by its first element (0 → integer).
    const qs = sql.join(quantiles.map((q) => sql`cast(${q} as double precision)`))
    if (ctx.engine === 'duckdb') return sql`quantile_disc(${c}, [${qs}])`
    return sql`percentile_disc(array[${qs}]) within group (order by ${c})`
  }, (v) => (Array.isArray(v) ? v.map(toNumber) : v === null ? null : [toNumber(v)]), { quantiles }, true)
}

/** The median, through the same quantile machinery. */
export function columnMedian(column: string): AggregateMetric {
  return columnAggregate('column.median', column, (c, ctx) => {
    if (ctx.engine === 'duckdb') return sql`quantile_cont(${c}, 0.5)`
    return sql`percentile_cont(0.5) within group (order by ${c})`
  }, toNumber, {}, true)
}

/** The distinct non-null values, sorted (a list aggregate: DuckDB `list`, PostgreSQL `array_agg`). */
export function columnDistinctValues(column: string): AggregateMetric {
  return columnAggregate('column.distinct_values', column, (c, ctx) => {
    if (ctx.engine === 'duckdb') return sql`list(distinct ${c} order by ${c}) filter (where ${c} is not null)`
    return sql`array_agg(distinct ${c} order by ${c}) filter (where ${c} is not null)`
  }, (v) => (Array.isArray(v) ? v.map(scalar) : []), {}, true)
}

/** One distinct value and how many rows hold it. */
export interface ValueCount {
  readonly value: unknown
  readonly count: number
}

/** Orders values as GX lists them: numbers numerically, everything else by its text. */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0
}

function sortedCounts(pairs: readonly ValueCount[]): ValueCount[] {
  return [...pairs].sort((x, y) => compareValues(x.value, y.value))
}

/**
 * The non-null values of a column with their counts, sorted by value: its own `GROUP BY` query,
 * run beside the batch's scan. (DuckDB's `histogram` aggregate would join the scan, but measured
 * 2.4× slower than the hash GROUP BY on 1M rows, and PostgreSQL has no such aggregate.)
 */
export function columnValueCounts(column: string): QueryMetric {
  return {
    shape: 'query',
    name: 'column.value_counts',
    args: { column },
    async run(scope) {
      const rows = await scope.engine.query<{ v: unknown; n: unknown }>(
        sql`select ${col(column)} as v, count(*) as n from ${scope.from} as t where ${col(column)} is not null group by 1`)
      return sortedCounts(rows.map((r) => ({ value: scalar(r.v), count: Number(r.n) })))
    },
  }
}
