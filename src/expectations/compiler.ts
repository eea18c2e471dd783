import { canonicalJson } from '../core/index.js'
import { sql, type RawBuilder } from '../engines/index.js'
import type { AggregateMetric, BatchScope, DerivedColumn, MetricRequest, QueryMetric, SchemaMetric } from './metrics/metric.js'

/**
 * The metric compiler (GX's `resolve_metric_bundle`): the metric requests of a whole suite are
 * deduplicated by (name, args) and every aggregate of one batch scope becomes one column of ONE
 * SELECT — a single scan of the batch. Query metrics run their own statements; schema metrics read
 * the columns already described. Row conditions make separate scopes (each its own scan).
 */

/** The identity of a metric request: name plus canonical args. */
export function metricKey(m: Pick<MetricRequest, 'name' | 'args'>): string {
  return `${m.name}${canonicalJson(m.args)}`
}

/** One aggregate SELECT over a batch scope: what the compiler emits. */
export interface AggregateScan {
  readonly query: RawBuilder<unknown>
  /** The metrics it computes; column `m<i>` holds `metrics[i]`. */
  readonly metrics: readonly AggregateMetric[]
}

/** The compiled plan for one batch scope. */
export interface CompiledScope {
  readonly scan?: AggregateScan
  readonly queries: readonly QueryMetric[]
  readonly schema: readonly SchemaMetric[]
}

/** The FROM clause of a scan: the scope's rows plus any window columns, aliased `t`. */
export function scopeFrom(scope: BatchScope, derived: readonly DerivedColumn[]): RawBuilder<unknown> {
  if (derived.length === 0) return sql`${scope.from} as t`
  const extra = derived.map((d) => sql`${d.sql(scope.context)} as ${sql.id(d.alias)}`)
  return sql`(select b.*, ${sql.join(extra)} from ${scope.from} as b) as t`
}

/** Bundles the requests of one scope: one aggregate SELECT, plus query and schema metrics. */
export function compileScope(scope: BatchScope, requests: readonly MetricRequest[]): CompiledScope {
  const unique = new Map<string, MetricRequest>()
  for (const r of requests) if (!unique.has(metricKey(r))) unique.set(metricKey(r), r)
  const aggregates: AggregateMetric[] = []
  const queries: QueryMetric[] = []
  const schema: SchemaMetric[] = []
  for (const r of unique.values()) {
    if (r.shape === 'aggregate') aggregates.push(r)
    else if (r.shape === 'query') queries.push(r)
    else schema.push(r)
  }
  return { scan: aggregates.length ? aggregateScan(scope, aggregates) : undefined, queries, schema }
}

function aggregateScan(scope: BatchScope, metrics: readonly AggregateMetric[]): AggregateScan {
  const derived = new Map<string, DerivedColumn>()
  for (const m of metrics) for (const d of m.derived ?? []) derived.set(d.alias, d)
  const columns = metrics.map((m, i) => sql`${m.sql(scope.context)} as ${sql.id(`m${i}`)}`)
  return { metrics, query: sql`select ${sql.join(columns)} from ${scopeFrom(scope, [...derived.values()])}` }
}

/** Metric values (and per-metric errors) by metricKey. */
export interface ComputedValues {
  readonly values: Map<string, unknown>
  readonly errors: Map<string, Error>
}

/**
 * Runs a compiled scope. If the bundled scan fails (a regex on a number column, a bad cast), each
 * aggregate is retried on its own so that only the expectations whose metric failed report an error.
 */
export async function runScope(scope: BatchScope, compiled: CompiledScope): Promise<ComputedValues> {
  const values = new Map<string, unknown>()
  const errors = new Map<string, Error>()
  const settle = async (m: MetricRequest, compute: () => Promise<unknown> | unknown) => {
    try {
      values.set(metricKey(m), await compute())
    } catch (e) {
      errors.set(metricKey(m), e as Error)
    }
  }
  const tasks: Promise<void>[] = []
  if (compiled.scan) {
    const scan = compiled.scan
    tasks.push((async () => {
      try {
        const [row] = await scope.engine.query<Record<string, unknown>>(scan.query)
        scan.metrics.forEach((m, i) => values.set(metricKey(m), normalize(m, row?.[`m${i}`])))
      } catch {
        await Promise.all(scan.metrics.map((m) => settle(m, async () => {
          const [row] = await scope.engine.query<Record<string, unknown>>(aggregateScan(scope, [m]).query)
          return normalize(m, row?.m0)
        })))
      }
    })())
  }
  for (const q of compiled.queries) tasks.push(settle(q, () => q.run(scope)))
  for (const s of compiled.schema) tasks.push(settle(s, () => s.read(scope.context.columns, scope.context)))
  await Promise.all(tasks)
  return { values, errors }
}

function normalize(m: AggregateMetric, raw: unknown): unknown {
  const v = raw === undefined ? null : raw
  return m.normalize ? m.normalize(v) : v
}
