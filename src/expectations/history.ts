import { z } from 'zod'
import { canonicalJson, Errors, formatMicros, parseTimestampMicros } from '../core/index.js'
import { metricsRepo, type MetadataStore, type MetricRow } from '../metadata/index.js'

/**
 * Metric history: what earlier validations of the same batch computed, and the rules that compare a
 * new value with it — Airflow's interval check (ratio vs the value `days_back` days ago) and anomaly
 * rules (change from the previous run or N days back, running mean ± k·σ).
 */

/** One recorded value of a metric. */
export interface HistoryPoint {
  readonly value: number
  /** ISO-8601 UTC. */
  readonly runTime: string
}

/** Where to look for a metric's history: the same batch (and checkpoint, when given) as the current run. */
export interface HistoryScope {
  readonly batch: string
  readonly checkpoint?: string
  /** The current run's time; history is strictly older. */
  readonly runTime: string
}

/** Reads a metric's numeric history, newest first. */
export type MetricHistoryReader = (scope: HistoryScope, metricName: string, metricArgs: Record<string, unknown>, options?: { atOrBefore?: string; limit?: number }) => Promise<HistoryPoint[]>

/** A history reader over the metadata store's `validation_metrics` table. */
export function storeHistoryReader(store: MetadataStore): MetricHistoryReader {
  return async (scope, metricName, metricArgs, options = {}) => {
    const before = options.atOrBefore !== undefined && parseTimestampMicros(options.atOrBefore) < parseTimestampMicros(scope.runTime) ? justAfter(options.atOrBefore) : scope.runTime
    const rows = await metricsRepo.metricHistory(store.db, {
      metricName, metricArgs: canonicalJson(metricArgs), batch: scope.batch, checkpoint: scope.checkpoint, before, limit: options.limit,
    })
    return rows.filter((r): r is MetricRow & { value: number } => r.value !== null).map((r) => ({ value: r.value, runTime: r.run_time }))
  }
}

function justAfter(iso: string): string {
  return formatMicros(parseTimestampMicros(iso) + 1n)
}

/** `runTime` minus whole days, ISO-8601 UTC. */
export function daysBefore(runTime: string, days: number): string {
  return formatMicros(parseTimestampMicros(runTime) - BigInt(Math.round(days * 86_400)) * 1_000_000n)
}

// ---------------------------------------------------------------------------------------------
// Interval check (Airflow's SQLIntervalCheckOperator)

export const RATIO_FORMULAS = {
  /** max(cur, ref) / min(cur, ref): symmetric, ≥ 1. */
  max_over_min: (current: number, reference: number) => Math.max(current, reference) / Math.min(current, reference),
  /** |cur − ref| / ref. */
  relative_diff: (current: number, reference: number) => Math.abs(current - reference) / reference,
} as const
export type RatioFormula = keyof typeof RATIO_FORMULAS

export interface IntervalCheckOutcome {
  readonly success: boolean
  /** null when a value was zero (and `ignore_zero` decided) or the reference is missing. */
  readonly ratio: number | null
  readonly current: number
  readonly reference: number | null
  readonly threshold: number
}

/**
 * Compares one metric with its reference as Airflow does: passes when the ratio is below the
 * threshold; when either value is 0 the ratio is undefined and the result is `ignoreZero`; a missing
 * reference (no history that far back) fails.
 */
export function intervalCheck(current: number, reference: number | null, formula: RatioFormula, threshold: number, ignoreZero: boolean): IntervalCheckOutcome {
  if (reference === null) return { success: false, ratio: null, current, reference, threshold }
  if (current === 0 || reference === 0) return { success: ignoreZero, ratio: null, current, reference, threshold }
  const ratio = RATIO_FORMULAS[formula](current, reference)
  return { success: ratio < threshold, ratio, current, reference, threshold }
}

// ---------------------------------------------------------------------------------------------
// Anomaly rules

/** What a change is measured against: the previous run, or the newest value at least N days old. */
export const baselineSchema = z.union([
  z.literal('previous_run'),
  z.object({ days_back: z.number().positive() }).strict(),
])
export type Baseline = z.infer<typeof baselineSchema>

/** An anomaly rule, as written in an expectation's kwargs (`rule`). */
export const anomalyRuleSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('absolute_change'),
    /** The largest allowed |current − baseline|. */
    max_change: z.number().nonnegative(),
    baseline: baselineSchema.default('previous_run'),
  }).strict(),
  z.object({
    type: z.literal('relative_change'),
    /** The largest allowed |current − baseline| / |baseline| (0.2 = 20%). */
    max_change: z.number().nonnegative(),
    baseline: baselineSchema.default('previous_run'),
  }).strict(),
  z.object({
    type: z.literal('stddev'),
    /** Passes when |current − mean| ≤ k·σ over the window. */
    k: z.number().positive().default(3),
    /** How many earlier runs form the window. */
    window: z.number().int().min(2).default(30),
    /** With fewer earlier runs than this the rule passes (there is nothing to compare yet). */
    min_history: z.number().int().min(2).default(5),
  }).strict(),
])
export type AnomalyRule = z.infer<typeof anomalyRuleSchema>

export interface AnomalyOutcome {
  readonly success: boolean
  readonly current: number
  /** The value compared with (the baseline, or the window's mean). */
  readonly expected: number | null
  /** The change measured, or for `stddev` the distance in σ. */
  readonly deviation: number | null
  /** The bounds the current value had to fall within, when the rule has any. */
  readonly bounds: { readonly min: number; readonly max: number } | null
  readonly historySize: number
  readonly note?: string
}

/** How many history points a rule needs, and from when, so callers read no more than that. */
export function historyNeeded(rule: AnomalyRule, runTime: string): { atOrBefore?: string; limit: number } {
  if (rule.type === 'stddev') return { limit: rule.window }
  return rule.baseline === 'previous_run' ? { limit: 1 } : { atOrBefore: daysBefore(runTime, rule.baseline.days_back), limit: 1 }
}

/** Applies a `historyNeeded` cut to points (newest first): those at or before the cutoff, at most `limit`. */
export function cutHistory(points: readonly HistoryPoint[], needed: { atOrBefore?: string; limit: number }): HistoryPoint[] {
  const cutoff = needed.atOrBefore === undefined ? undefined : parseTimestampMicros(needed.atOrBefore)
  return points.filter((p) => cutoff === undefined || parseTimestampMicros(p.runTime) <= cutoff).slice(0, needed.limit)
}

/**
 * Evaluates a rule on the current value and its history (newest first, already cut by
 * `historyNeeded`). A change rule with no baseline passes with a note: the first run has nothing
 * to change from (as Soda's change-over-time checks do).
 */
export function evaluateAnomaly(rule: AnomalyRule, current: number, history: readonly HistoryPoint[]): AnomalyOutcome {
  if (rule.type === 'stddev') {
    const window = history.slice(0, rule.window).map((h) => h.value)
    if (window.length < rule.min_history) {
      return { success: true, current, expected: null, deviation: null, bounds: null, historySize: window.length, note: `only ${window.length} earlier runs; the rule needs ${rule.min_history}` }
    }
    const mean = window.reduce((s, v) => s + v, 0) / window.length
    const sigma = Math.sqrt(window.reduce((s, v) => s + (v - mean) ** 2, 0) / (window.length - 1))
    const bounds = { min: mean - rule.k * sigma, max: mean + rule.k * sigma }
    const deviation = sigma === 0 ? (current === mean ? 0 : Infinity) : Math.abs(current - mean) / sigma
    return { success: current >= bounds.min && current <= bounds.max, current, expected: mean, deviation, bounds, historySize: window.length }
  }
  const baseline = history[0]?.value
  if (baseline === undefined) {
    return { success: true, current, expected: null, deviation: null, bounds: null, historySize: 0, note: 'no earlier value to compare with' }
  }
  const change = Math.abs(current - baseline)
  if (rule.type === 'absolute_change') {
    return { success: change <= rule.max_change, current, expected: baseline, deviation: change, bounds: { min: baseline - rule.max_change, max: baseline + rule.max_change }, historySize: history.length }
  }
  const allowed = Math.abs(baseline) * rule.max_change
  const relative = baseline === 0 ? (change === 0 ? 0 : Infinity) : change / Math.abs(baseline)
  return { success: relative <= rule.max_change, current, expected: baseline, deviation: relative, bounds: { min: baseline - allowed, max: baseline + allowed }, historySize: history.length }
}

// ---------------------------------------------------------------------------------------------
// A metric of an earlier run as an evaluation parameter

const EARLIER_RUN_PARAMETER = /^previous_run:([A-Za-z_][\w.]*)(?::(.+))?$/

/**
 * Resolves evaluation parameters that name a metric of the previous run of the same checkpoint on the
 * same batch:
 * `{"$PARAMETER": "previous_run:table.row_count * 0.9"}` or, for a column metric,
 * `previous_run:column.mean:fare` (the metric whose args' `column` is `fare`). Other names resolve to
 * undefined (the validation then reports the parameter as unknown); a metric never recorded is an error
 * naming it.
 */
export function earlierRunParameterResolver(store: MetadataStore, checkpoint: string, scope: HistoryScope): (name: string) => Promise<unknown> {
  return async (name) => {
    const m = EARLIER_RUN_PARAMETER.exec(name)
    if (!m) return undefined
    const [, metricName, column] = m
    const rows = await metricsRepo.metricHistory(store.db, { metricName: metricName!, checkpoint, batch: scope.batch, before: scope.runTime, limit: 200 })
    const match = rows.find((r) => {
      const args = JSON.parse(r.metric_args) as Record<string, unknown>
      return column === undefined ? Object.keys(args).length === 0 : args.column === column
    })
    if (!match) throw Errors.badInput(`$PARAMETER ${name}`, `checkpoint ${JSON.stringify(checkpoint)} has no earlier run that recorded ${metricName}${column ? ` of column ${JSON.stringify(column)}` : ''}`)
    return JSON.parse(match.value_json) as unknown
  }
}
