import { z } from 'zod'
import { Errors, formatMicros, parseDurationSeconds, parseTimestampMicros } from '../../core/index.js'
import { columnSchema, defineExpectation } from '../define.js'
import { columnMax } from '../metrics/column-aggregate.js'

/**
 * Freshness (beyond GX; Soda's `freshness < 1d`): the newest value of a timestamp column is at most
 * `max_age` older than the run's time. `max_age` is a duration (`90s`, `15m`, `2h`, `1d`, `1w`) or a
 * number of seconds; `now` (ISO-8601, or a `$PARAMETER` such as `now()`) defaults to the clock at
 * evaluation. An empty batch is not fresh. Observed value: the newest timestamp.
 */
export const expectTableFreshnessToBeWithin = defineExpectation({
  type: 'expect_table_freshness_to_be_within',
  domain: 'column',
  kwargs: z.looseObject({
    column: columnSchema,
    max_age: z.union([z.string(), z.number().nonnegative()]),
    now: z.string().optional(),
  }),
  metrics: (k) => {
    parseDurationSeconds(k.max_age, 'max_age')
    return { newest: columnMax(k.column) }
  },
  evaluate: (k, values) => {
    const maxAgeSeconds = parseDurationSeconds(k.max_age, 'max_age')
    const nowMicros = k.now !== undefined ? parseTimestampMicros(k.now, 'now') : BigInt(Date.now()) * 1000n
    const newest = values.newest
    if (newest === null || newest === undefined) {
      return { success: false, result: { observed_value: null, details: { now: formatMicros(nowMicros), max_age_seconds: maxAgeSeconds, reason: 'no non-null timestamps' } } }
    }
    if (typeof newest !== 'string') throw Errors.badInput('column', `${JSON.stringify(k.column)} does not hold timestamps`)
    const newestMicros = parseTimestampMicros(newest, k.column)
    const ageSeconds = Number(nowMicros - newestMicros) / 1e6
    return {
      success: ageSeconds <= maxAgeSeconds,
      result: { observed_value: formatMicros(newestMicros), details: { now: formatMicros(nowMicros), age_seconds: ageSeconds, max_age_seconds: maxAgeSeconds } },
    }
  },
})
