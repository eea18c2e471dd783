import { z } from 'zod'
import { formatMicros } from '../../core/index.js'
import { defineExpectation } from '../define.js'
import { anomalyRuleSchema, cutHistory, evaluateAnomaly, historyNeeded } from '../history.js'
import { aggregateExpressionMetric, suppliedHistorySchema } from '../sql-checks.js'

/**
 * An anomaly rule on a metric's history (beyond GX; Soda's change-over-time and anomaly checks):
 * `metric` is an aggregate SQL expression over the batch (`count(*)`, `avg(fare)`), compared by
 * `rule` with its earlier values:
 *
 * - `{"type": "absolute_change", "max_change": 100, "baseline": "previous_run" | {"days_back": 7}}`
 * - `{"type": "relative_change", "max_change": 0.2, "baseline": …}` (a fraction of the baseline)
 * - `{"type": "stddev", "k": 3, "window": 30, "min_history": 5}`: within the running mean ± k·σ
 *
 * With no earlier value (or fewer than `min_history`), the rule passes and says so in `details`.
 * History: a checkpoint supplies `history` from the metric store; it may also be written inline.
 */
export const expectTableMetricToNotBeAnomalous = defineExpectation({
  type: 'expect_table_metric_to_not_be_anomalous',
  domain: 'table',
  kwargs: z.looseObject({
    metric: z.string().min(1),
    rule: anomalyRuleSchema,
    history: suppliedHistorySchema.default({}),
    now: z.string().optional(),
  }),
  metrics: (k) => ({ current: aggregateExpressionMetric(k.metric) }),
  evaluate: (k, values) => {
    const current = values.current as number | null
    if (current === null) return { success: false, result: { observed_value: null, details: { reason: `${k.metric} is not a number` } } }
    const now = k.now ?? formatMicros(BigInt(Date.now()) * 1000n)
    const points = (k.history[k.metric] ?? []).map((p) => ({ value: p.value, runTime: p.run_time }))
    const outcome = evaluateAnomaly(k.rule, current, cutHistory(points, historyNeeded(k.rule, now)))
    return { success: outcome.success, result: { observed_value: current, details: { rule: k.rule, ...outcome } } }
  },
})
