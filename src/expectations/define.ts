import { z } from 'zod'
import { col, sql, type RawBuilder } from '../engines/index.js'
import type { DerivedColumn, MetricContext, MetricRequest, QueryMetric } from './metrics/metric.js'
import { countWhere, rowCount } from './metrics/table.js'

/** What an expectation is about (GX's domain types). */
export type Domain = 'table' | 'column' | 'column_pair' | 'multicolumn' | 'query'

/** Metric values by the local names an expectation gave its requests. */
export type MetricValues = Readonly<Record<string, unknown>>

/** An expectation's verdict before result formatting: success plus GX result keys. */
export interface Evaluation {
  readonly success: boolean
  /** GX result keys (`observed_value`, `details`, `element_count`, `unexpected_count`…). */
  readonly result: Record<string, unknown>
}

/**
 * How to select the unexpected rows of a map expectation: the rows pass (unexpected values, index
 * lists) and the runnable query shown in the result both use it.
 */
export interface UnexpectedRows {
  /** Decides the shape of `unexpected_list` entries: a value, an `[a, b]` pair, or a `{column: value}` record. */
  readonly domain: 'column' | 'column_pair' | 'multicolumn'
  /** The checked columns, whose values make up `unexpected_list`. */
  readonly columns: readonly string[]
  /** True exactly for the unexpected rows (missing rows already excluded). */
  readonly where: RawBuilder<unknown>
  readonly derived?: readonly DerivedColumn[]
}

/**
 * One expectation type: its kwargs schema (GX field names), the metrics it needs and a pure
 * evaluation of their values (GX's `_validate`). Registered explicitly in catalog/index.ts.
 */
export interface ExpectationDefinition<K extends z.ZodType = z.ZodType> {
  readonly type: `expect_${string}` | `unexpected_rows_expectation`
  readonly domain: Domain
  /**
   * False for table expectations answered from the schema and the row count alone. Other table and
   * query expectations (SQL checks, drift, history rules) may read any column; the rest read the columns their kwargs name.
   */
  readonly readsValues?: false
  /** zod schema of the kwargs this type takes (common kwargs such as `row_condition` are parsed apart). */
  readonly kwargs: K
  /** The metrics to compute, by local name. */
  metrics(kwargs: z.output<K>, ctx: MetricContext): Record<string, MetricRequest>
  /** Pure: metric values → success and result keys. May throw an AsofError for a bad kwarg. */
  evaluate(kwargs: z.output<K>, values: MetricValues, ctx: MetricContext): Evaluation
  /** Map expectations only: the unexpected rows, for result formats that list them. */
  unexpectedRows?(kwargs: z.output<K>, ctx: MetricContext, values: MetricValues): UnexpectedRows
}

/** An expectation definition of any kwargs type, as the catalog holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyExpectationDefinition = ExpectationDefinition<any>

/** Declares an expectation type; an identity function that checks and infers the kwargs type. */
export function defineExpectation<K extends z.ZodType>(def: ExpectationDefinition<K>): ExpectationDefinition<K> {
  return def
}

/** `mostly`: the fraction of non-missing rows that must meet the expectation (GX: 0 ≤ mostly ≤ 1). */
export const mostlySchema = z.number().min(0).max(1).default(1)

/** A number that may be ±Infinity (bounds, partition edges, as Python writes them); zod's number() rejects infinities. */
export const extendedNumberSchema = z.custom<number>((v) => typeof v === 'number' && !Number.isNaN(v), 'expected a number (±Infinity allowed)')

/** A column name as GX suites write it (spaces and dots allowed; it is always quoted). */
export const columnSchema = z.string().min(1)

/** GX's `ignore_row_if` for pair and multicolumn map expectations. */
export const ignoreRowIfSchema = z.enum([
  'both_values_are_missing', 'either_value_is_missing', 'all_values_are_missing', 'any_value_is_missing', 'never', 'neither',
])
export type IgnoreRowIf = z.infer<typeof ignoreRowIfSchema>

/** The kwargs every column-map expectation takes beside its own (named in the declarations of the catalog's expectations). */
export interface MapKwargs {
  mostly: number
  ignore_row_if?: IgnoreRowIf
}

/** The domain a column-map expectation reads, and which of its rows count as missing. */
export interface MapDomain<K> {
  readonly domain: 'column' | 'column_pair' | 'multicolumn'
  columns(kwargs: K): readonly string[]
  /** Default `ignore_row_if` (GX: pairs ignore rows where both are null, multicolumn where all are). */
  readonly defaultIgnore: IgnoreRowIf
}

const COLUMN_DOMAIN: MapDomain<{ column: string }> = {
  domain: 'column', columns: (k) => [k.column], defaultIgnore: 'any_value_is_missing',
}

function missingCondition(columns: readonly string[], ignore: IgnoreRowIf): RawBuilder<unknown> {
  const nulls = columns.map((c) => sql`${col(c)} is null`)
  switch (ignore) {
    case 'both_values_are_missing':
    case 'all_values_are_missing':
      return sql`(${sql.join(nulls, sql` and `)})`
    case 'either_value_is_missing':
    case 'any_value_is_missing':
      return sql`(${sql.join(nulls, sql` or `)})`
    case 'never':
    case 'neither':
      return sql`false`
  }
}

interface ColumnMapOptions<S extends z.ZodRawShape, K> {
  readonly type: `expect_${string}`
  /** The kwargs specific to this type; `mostly` (and for pairs/multicolumn `ignore_row_if`) are added. */
  readonly kwargs: S
  /** Defaults to one column named by the `column` kwarg. */
  readonly map?: MapDomain<NoInfer<K>>
  /**
   * The ONE row condition: a SQL boolean that is true for an unexpected row. It only ever sees rows
   * that are not missing; a NULL verdict counts as expected.
   */
  unexpected(kwargs: K, ctx: MetricContext): RawBuilder<unknown>
  /** Window columns the condition reads (uniqueness), computed next to every row. */
  derived?(kwargs: K): readonly DerivedColumn[]
  /**
   * Counts the unexpected rows with a query of its own instead of an aggregate of the batch's scan,
   * given the missing-row condition. For uniqueness a GROUP BY is several times faster than a window
   * over every row of the scan (measured on 1M driver rows: 6.0 s bundled vs 1.4 s + 1.1 s apart);
   * the window then only serves the rows pass of a failing expectation.
   */
  unexpectedCount?(kwargs: K, missing: RawBuilder<unknown>, ignore: IgnoreRowIf): QueryMetric
  /** Extra checks on kwargs that zod cannot express; throw a bad_input AsofError. */
  check?(kwargs: K): void
}

/** The metric args of a map expectation: its kwargs without those that only shape the verdict. */
function conditionArgs(type: string, kwargs: Record<string, unknown>): Record<string, unknown> {
  const { mostly: _m, result_format: _r, catch_exceptions: _c, include_config: _i, meta: _x, ...rest } = kwargs
  return { expectation_type: type, ...rest }
}

/**
 * Declares a column-map expectation from one row condition, as GX's ColumnMapExpectation does:
 * element, missing and unexpected counts come from one aggregate each (bundled into the batch's
 * single scan), `mostly` and the GX percentages follow, and the unexpected rows (values, index
 * lists, the runnable query) are selected by the same condition.
 *
 * ```sql
 * count(*)                                                   -- element_count
 * count(*) filter (where "x" is null)                        -- missing_count
 * count(*) filter (where not ("x" is null) and (<unexpected>) is true)  -- unexpected_count
 * ```
 */
export function defineColumnMapExpectation<S extends z.ZodRawShape, K = z.output<z.ZodObject<S>> & MapKwargs>(
  options: ColumnMapOptions<S, K>,
): ExpectationDefinition<z.ZodType<K>> {
  const map = (options.map ?? COLUMN_DOMAIN) as MapDomain<K>
  const schema = z.looseObject({
    ...options.kwargs,
    mostly: mostlySchema,
    ...(map.domain === 'column' ? {} : { ignore_row_if: ignoreRowIfSchema.optional() }),
  }) as unknown as z.ZodType<K>
  const missingOf = (k: K) => missingCondition(map.columns(k), (k as MapKwargs).ignore_row_if ?? map.defaultIgnore)
  const unexpectedOf = (k: K, ctx: MetricContext) => sql`not ${missingOf(k)} and (${options.unexpected(k, ctx)}) is true`
  return {
    type: options.type,
    domain: map.domain,
    kwargs: schema,
    metrics(k, ctx) {
      options.check?.(k)
      const derived = options.derived?.(k)
      const unexpected: MetricRequest = options.unexpectedCount?.(k, missingOf(k), (k as MapKwargs).ignore_row_if ?? map.defaultIgnore) ?? {
        ...countWhere(`${options.type}.unexpected_count`, conditionArgs(options.type, k as Record<string, unknown>), () => unexpectedOf(k, ctx)),
        ...(derived ? { derived } : {}),
      }
      return {
        element_count: rowCount(),
        missing_count: countWhere('map.missing_count', { columns: map.columns(k), ignore_row_if: (k as MapKwargs).ignore_row_if ?? map.defaultIgnore }, () => missingOf(k)),
        unexpected_count: unexpected,
      }
    },
    evaluate(k, values) {
      return mapEvaluation(Number(values.element_count), Number(values.missing_count), Number(values.unexpected_count), (k as MapKwargs).mostly)
    },
    unexpectedRows(k, ctx) {
      const derived = options.derived?.(k)
      return { domain: map.domain, columns: map.columns(k), where: unexpectedOf(k, ctx), ...(derived ? { derived } : {}) }
    },
  }
}

/**
 * GX's map verdict: nulls are not evaluated; success when the share of expected non-missing rows
 * is at least `mostly` (vacuously true with no non-missing rows).
 */
export function mapEvaluation(element: number, missing: number, unexpected: number, mostly: number): Evaluation {
  const nonmissing = element - missing
  const success = nonmissing === 0 ? true : (nonmissing - unexpected) / nonmissing >= mostly
  return {
    success,
    result: {
      element_count: element,
      missing_count: missing,
      missing_percent: element === 0 ? null : (missing / element) * 100,
      unexpected_count: unexpected,
      unexpected_percent: nonmissing === 0 ? null : (unexpected / nonmissing) * 100,
      unexpected_percent_total: element === 0 ? null : (unexpected / element) * 100,
      unexpected_percent_nonmissing: nonmissing === 0 ? null : (unexpected / nonmissing) * 100,
    },
  }
}

/** The map domain of column-pair expectations (`column_A`, `column_B`). */
export const PAIR_DOMAIN: MapDomain<{ column_A: string; column_B: string }> = {
  domain: 'column_pair', columns: (k) => [k.column_A, k.column_B], defaultIgnore: 'both_values_are_missing',
}

/** The map domain of multicolumn expectations (`column_list`). */
export const MULTICOLUMN_DOMAIN: MapDomain<{ column_list: string[] }> = {
  domain: 'multicolumn', columns: (k) => k.column_list, defaultIgnore: 'all_values_are_missing',
}
