import { Errors } from './errors.js'

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/**
 * Parses a duration written as `90s`, `15m`, `2h`, `2d`, `1w`, or a number of seconds.
 * Returns seconds. `0` means "unlimited" to callers that say so (ttl).
 */
export function parseDurationSeconds(value: string | number, where = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw Errors.badInput(where, `expected a non-negative number of seconds, got ${value}`)
    return value
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$/.exec(value)
  if (!m) throw Errors.badInput(where, `expected a duration like 90s, 15m, 2h, 2d or a number of seconds, got ${JSON.stringify(value)}`)
  return Number(m[1]) * (m[2] ? UNIT_SECONDS[m[2]]! : 1)
}

/**
 * Parses an ISO-8601 duration (`P7D`, `PT1H30M`, `P1W`) into seconds. Months and years count as
 * 30 and 365 days, as Kubeflow's max_cache_staleness does.
 */
export function parseIsoDurationSeconds(value: string, where = 'duration'): number {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value)
  if (!m || value === 'P' || value.endsWith('T')) throw Errors.badInput(where, `expected an ISO-8601 duration like P7D or PT1H, got ${JSON.stringify(value)}`)
  const [, y, mo, w, d, h, mi, s] = m.map((x) => (x === undefined ? 0 : Number(x)))
  return (y! * 365 + mo! * 30 + w! * 7 + d!) * 86400 + h! * 3600 + mi! * 60 + s!
}
