import { z } from 'zod'
import { formatMicros } from '../../core/index.js'
import { defineExpectation } from '../define.js'
import { cutHistory, daysBefore, intervalCheck, RATIO_FORMULAS, type RatioFormula } from '../history.js'
import { aggregateExpressionMetric, suppliedHistorySchema } from '../sql-checks.js'

/**
 * Airflow's SQLIntervalCheckOperator over the metric history: each aggregate expression in
 * `metrics_thresholds` (`{"count(*)": 1.5, "avg(fare)": 1.2}`) is computed on the batch and compared
 * with its value `days_back` days before the run (the newest recorded value at least that old) by
 * `ratio_formula` — `max_over_min` = max(cur, ref) / min(cur, ref), or `relative_diff` =
 * |cur − ref| / ref — and must stay below its threshold. A zero on either side passes when
 * `ignore_zero` (default true); a metric with no history that old fails.
 *
 * History: a checkpoint supplies `history` from the metric store (the same checkpoint and batch);
 * it may also be written inline. `now` (ISO-8601) defaults to the clock.
 */
export const expectTableMetricsToPassIntervalCheck = defineExpectation({
  type: 'expect_table_metrics_to_pass_interval_check',
  domain: 'table',
  kwargs: z.looseObject({
    metrics_thresholds: z.record(z.string().min(1), z.number().positive()).refine((m) => Object.keys(m).length > 0, 'expected at least one metric'),
    days_back: z.number().positive().default(7),
    ratio_formula: z.enum(Object.keys(RATIO_FORMULAS) as [RatioFormula, ...RatioFormula[]]).default('max_over_min'),
    ignore_zero: z.boolean().default(true),
    history: suppliedHistorySchema.default({}),
    now: z.string().optional(),
  }),
  metrics: (k) => Object.fromEntries(Object.keys(k.metrics_thresholds).map((e, i) => [`m${i}`, aggregateExpressionMetric(e)])),
  evaluate: (k, values) => {
    const now = k.now ?? formatMicros(BigInt(Date.now()) * 1000n)
    const atOrBefore = daysBefore(now, k.days_back)
    const checks = Object.entries(k.metrics_thresholds).map(([expression, threshold], i) => {
      const current = values[`m${i}`] as number | null
      const points = (k.history[expression] ?? []).map((p) => ({ value: p.value, runTime: p.run_time }))
      const [reference] = cutHistory(points, { atOrBefore, limit: 1 })
      if (current === null) return { metric: expression, success: false, ratio: null, current, reference: reference?.value ?? null, threshold }
      return { metric: expression, ...intervalCheck(current, reference?.value ?? null, k.ratio_formula, threshold, k.ignore_zero) }
    })
    return {
      success: checks.every((c) => c.success),
      result: {
        observed_value: Object.fromEntries(checks.map((c) => [c.metric, c.ratio])),
        details: { ratio_formula: k.ratio_formula, days_back: k.days_back, reference_before: atOrBefore, metrics: checks },
      },
    }
  },
})
