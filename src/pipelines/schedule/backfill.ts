import { Errors, dateToMicros, formatMicros, normalizeTimestamp } from '../../core/index.js'
import type { PipelineSpec } from '../definition.js'
import type { DataInterval } from '../task.js'
import { nextTick, ticksBetween } from './cron.js'

/**
 * Logical dates and data intervals, Airflow's way: a run's logical date is the start of the
 * interval it covers, and the run is due once the interval has ended (at the next tick).
 */

/** A date as asof writes timestamps (ISO-8601 UTC, fraction only when non-zero), so dates compare as strings. */
export function isoDate(d: Date): string {
  return formatMicros(dateToMicros(d))
}

export function intervalFor(p: PipelineSpec, logicalDate: Date): DataInterval {
  const end = p.schedule ? nextTick(p.schedule, logicalDate) : undefined
  return { start: isoDate(logicalDate), end: isoDate(end ?? logicalDate) }
}

function requireSchedule(p: PipelineSpec, what: string): string {
  if (!p.schedule) throw Errors.badInput(`pipeline ${p.name}`, `${what} needs a schedule (cron) to know its logical dates; add \`schedule:\` to ${p.source}`)
  return p.schedule
}

const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/
const DAY_MS = 86_400_000

/**
 * Every logical date of `p` from `from` to `to`, both inclusive (`asof pipeline backfill --from --to`).
 * A bare date as `to` means that whole day, as Airflow's `--end-date`: `--to 2026-12-04` includes
 * an hourly pipeline's 2026-12-04T23:00 run.
 */
export function backfillDates(p: PipelineSpec, from: string, to: string): Date[] {
  const schedule = requireSchedule(p, 'backfill')
  const start = new Date(normalizeTimestamp(from, '--from'))
  const end = new Date(normalizeTimestamp(to, '--to'))
  if (end < start) throw Errors.badInput('--to', `${to} is before --from ${from}`)
  const endExclusive = BARE_DATE.test(to.trim()) ? end.getTime() + DAY_MS : end.getTime() + 1
  return ticksBetween(schedule, start, new Date(endExclusive))
}

/**
 * The logical dates due at `now` that the scheduler has not fired yet: intervals that ended at or
 * before `now`, after the last fired one. Without catchup, only the newest; on the very first
 * tick, catchup starts at `start_date` (or, without one, fires only the newest).
 */
export function dueDates(p: PipelineSpec, now: Date, lastFired: Date | undefined): Date[] {
  const schedule = requireSchedule(p, 'scheduling')
  const startDate = p.start_date ? new Date(p.start_date) : undefined
  let from: Date
  if (lastFired) from = new Date(lastFired.getTime() + 1)
  else if (p.catchup && startDate) from = startDate
  else from = lookbackStart(schedule, now)
  if (startDate && from < startDate) from = startDate
  // ticks up to now; the newest one starts an interval that is still open
  const ticks = ticksBetween(schedule, from, new Date(now.getTime() + 1))
  const due = ticks.filter((t) => {
    const end = nextTick(schedule, t)
    return end !== undefined && end <= now
  })
  return p.catchup ? due : due.slice(-1)
}

/** A window that surely holds the two newest ticks before `now` (for the no-catchup, no-history case). */
function lookbackStart(schedule: string, now: Date): Date {
  for (let span = 3_600_000; span <= 4 * 366 * 86_400_000; span *= 8) {
    const from = new Date(now.getTime() - span)
    if (ticksBetween(schedule, from, new Date(now.getTime() + 1)).length >= 2) return from
  }
  return new Date(now.getTime() - 4 * 366 * 86_400_000)
}
