import cron from 'node-cron'

/**
 * Cron arithmetic on node-cron's parser and matcher, always in UTC. The scheduler needs more than
 * "call me at the next tick": catchup, backfill and restarts need every tick between two instants,
 * computed from a clock, so they are enumerated here rather than waited for.
 */

export function validateCron(expression: string): boolean {
  return cron.validate(expression)
}

interface Matcher {
  fields: ReturnType<typeof cron.parse>
  match(date: Date): boolean
}

const matchers = new Map<string, Matcher>()

function matcher(expression: string): Matcher {
  let m = matchers.get(expression)
  if (!m) {
    // createTask does not start a timer; it is used only for its timezone-aware matcher.
    const task = cron.createTask(expression, () => {}, { timezone: 'UTC' })
    m = { fields: cron.parse(expression), match: (d) => task.match(d) }
    matchers.set(expression, m)
  }
  return m
}

const DAY_MS = 86_400_000

/** Every tick `t` with `from <= t < to` (milliseconds, UTC), in order. */
export function ticksBetween(expression: string, from: Date, to: Date): Date[] {
  const { fields, match } = matcher(expression)
  const times: number[] = []
  for (const h of fields.hour) for (const mi of fields.minute) for (const s of fields.second) times.push(((h * 60 + mi) * 60 + s) * 1000)
  times.sort((a, b) => a - b)
  const out: Date[] = []
  for (let day = Math.floor(from.getTime() / DAY_MS) * DAY_MS; day < to.getTime(); day += DAY_MS) {
    // the time-of-day fields come from the parsed sets, so the first candidate decides the day fields
    if (!match(new Date(day + times[0]!))) continue
    for (const t of times) {
      const at = day + t
      if (at >= from.getTime() && at < to.getTime()) out.push(new Date(at))
    }
  }
  return out
}

/** The first tick strictly after `after` (searching up to ~5 years ahead), or undefined. */
export function nextTick(expression: string, after: Date): Date | undefined {
  const start = new Date(after.getTime() + 1)
  for (let span = DAY_MS; span <= 5 * 366 * DAY_MS; span *= 4) {
    const ticks = ticksBetween(expression, start, new Date(start.getTime() + span))
    if (ticks.length) return ticks[0]
  }
  return undefined
}
