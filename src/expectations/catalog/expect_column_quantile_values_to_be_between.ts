import { z } from 'zod'
import { Errors } from '../../core/index.js'
import { columnSchema, defineExpectation } from '../define.js'
import { columnQuantiles } from '../metrics/column-aggregate.js'
import { inBounds } from './shared.js'

const range = z.tuple([z.number().nullable(), z.number().nullable()])

/**
 * Each quantile lies in its range (`[null, x]` is open below). Quantiles are discrete — actual
 * values of the column, as GX's SQL computes them (`percentile_disc`).
 */
export const expectColumnQuantileValuesToBeBetween = defineExpectation({
  type: 'expect_column_quantile_values_to_be_between',
  domain: 'column',
  kwargs: z.looseObject({
    column: columnSchema,
    quantile_ranges: z.object({ quantiles: z.array(z.number().min(0).max(1)).min(1), value_ranges: z.array(range) }),
    allow_relative_error: z.union([z.boolean(), z.number(), z.string()]).optional(),
  }),
  metrics: (k) => {
    if (k.quantile_ranges.quantiles.length !== k.quantile_ranges.value_ranges.length) {
      throw Errors.badInput('kwargs.quantile_ranges', 'quantiles and value_ranges must have the same length')
    }
    return { values: columnQuantiles(k.column, k.quantile_ranges.quantiles) }
  },
  evaluate: (k, v) => {
    const values = (v.values as (number | null)[] | null) ?? []
    const success_details = k.quantile_ranges.value_ranges.map(([lo, hi], i) =>
      inBounds(values[i], { min_value: lo, max_value: hi, strict_min: false, strict_max: false }))
    return {
      success: success_details.every(Boolean),
      result: { observed_value: { quantiles: k.quantile_ranges.quantiles, values }, details: { success_details } },
    }
  },
})
