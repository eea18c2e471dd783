import { z } from 'zod'
import type { Row } from '../../engines/index.js'
import { defineExpectation } from '../define.js'
import { toNumber, userQueryMetric } from '../sql-checks.js'

/**
 * Airflow's SQLValueCheckOperator: every value of the first row of `query` must equal `pass_value`,
 * within `tolerance` (a fraction: 0.1 accepts pass_value·(1 ± 0.1)) when pass_value is a number; a
 * string pass_value must match exactly. An empty result fails.
 */
export const expectQueryValuesToBeWithinTolerance = defineExpectation({
  type: 'expect_query_values_to_be_within_tolerance',
  domain: 'query',
  kwargs: z.looseObject({
    query: z.string().min(1),
    pass_value: z.union([z.number(), z.string()]),
    tolerance: z.number().nonnegative().optional(),
  }),
  metrics: (k) => ({ rows: userQueryMetric('query.first_row', k.query, 1) }),
  evaluate: (k, values) => {
    const [row] = values.rows as Row[]
    if (!row) return { success: false, result: { observed_value: null, details: { reason: 'the query returned no rows' } } }
    const expected = typeof k.pass_value === 'number' ? k.pass_value : toNumber(k.pass_value)
    const tolerance = k.tolerance ?? 0
    const bounds = expected === null ? null : [expected * (1 - tolerance), expected * (1 + tolerance)].sort((a, b) => a - b) as [number, number]
    const failing = Object.entries(row).filter(([, v]) => {
      if (bounds === null) return String(v) !== k.pass_value
      const n = toNumber(v)
      return n === null || n < bounds[0] || n > bounds[1]
    }).map(([name]) => name)
    return {
      success: failing.length === 0,
      result: { observed_value: row, details: { failing_columns: failing, ...(bounds ? { min_value: bounds[0], max_value: bounds[1] } : {}) } },
    }
  },
})
