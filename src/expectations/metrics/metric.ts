import type { Column, Engine, EngineKind, RawBuilder, Relation } from '../../engines/index.js'

/**
 * What a metric's SQL sees: the engine kind (for the few expressions that differ) and the
 * batch's columns (names and types, read once per validation without scanning rows).
 */
export interface MetricContext {
  readonly engine: EngineKind
  readonly columns: readonly Column[]
}

/**
 * The batch a validation reads, after the row condition: `from` is a FROM-able subquery
 * (`(select * from <relation> where <row_condition>)`) that every scan of this batch uses.
 */
export interface BatchScope {
  readonly engine: Engine
  readonly relation: Relation
  readonly from: RawBuilder<unknown>
  readonly context: MetricContext
}

/**
 * A column computed next to every row before aggregation, by a window function
 * (`count(*) over (partition by "a", "b")` for uniqueness). Deduplicated by `alias`.
 */
export interface DerivedColumn {
  readonly alias: string
  sql(ctx: MetricContext): RawBuilder<unknown>
}

interface MetricBase {
  /** GX-style metric name (`column.mean`, `column_values.between.unexpected_count`). */
  readonly name: string
  /** Everything that changes the value, as JSON: the identity used for dedupe and metric history. */
  readonly args: Readonly<Record<string, unknown>>
}

/**
 * An aggregate SQL expression over the batch aliased `t` (GX's "partial" metric function):
 * the compiler bundles every aggregate of a suite into one SELECT per batch scope.
 * `normalize` turns the engine's raw value into the metric's value (numbers, sorted lists…).
 */
export interface AggregateMetric extends MetricBase {
  readonly shape: 'aggregate'
  sql(ctx: MetricContext): RawBuilder<unknown>
  readonly derived?: readonly DerivedColumn[]
  normalize?(raw: unknown): unknown
  /**
   * Sorts the whole column (an ordered-set aggregate, a DISTINCT): on PostgreSQL such aggregates
   * have no partial form, so one of them in a SELECT keeps every other aggregate off parallel workers.
   */
  readonly sorts?: boolean
}

/** A metric that needs its own query (a GROUP BY, another table): one extra scan. */
export interface QueryMetric extends MetricBase {
  readonly shape: 'query'
  run(scope: BatchScope): Promise<unknown>
}

/** A metric read from the batch's schema alone (column names and types): no scan. */
export interface SchemaMetric extends MetricBase {
  readonly shape: 'schema'
  read(columns: readonly Column[], ctx: MetricContext): unknown
}

export type MetricRequest = AggregateMetric | QueryMetric | SchemaMetric

/** A metric value as computed for one run, for results and metric history. */
export interface ComputedMetric {
  readonly name: string
  readonly args: Readonly<Record<string, unknown>>
  readonly value: unknown
}
