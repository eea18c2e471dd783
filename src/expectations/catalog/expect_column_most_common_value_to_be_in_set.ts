import { z } from 'zod'
import { columnSchema, defineExpectation } from '../define.js'
import { columnValueCounts, type ValueCount } from '../metrics/column-aggregate.js'
import { memberOf } from './shared.js'

/**
 * The most common value is in `value_set`. With a tie, GX's rule: `ties_okay` passes when any modal
 * value is in the set; otherwise a tie fails. observed_value lists the modal values ascending.
 */
export const expectColumnMostCommonValueToBeInSet = defineExpectation({
  type: 'expect_column_most_common_value_to_be_in_set',
  domain: 'column',
  kwargs: z.looseObject({ column: columnSchema, value_set: z.array(z.unknown()), ties_okay: z.boolean().nullish() }),
  metrics: (k) => ({ counts: columnValueCounts(k.column) }),
  evaluate: (k, v) => {
    const counts = v.counts as ValueCount[]
    const top = Math.max(0, ...counts.map((c) => c.count))
    const modes = counts.filter((c) => c.count === top).map((c) => c.value)
    const hits = modes.filter((m) => memberOf(m, k.value_set)).length
    const success = k.ties_okay ? hits > 0 : modes.length === 1 && hits === 1
    return { success, result: { observed_value: modes } }
  },
})
