import { AsofError, normalizeTimestamp } from '../core/index.js'

const FIELDS = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/

/**
 * `text` as a UTC ISO-8601 timestamp, or undefined when it is not one. Stricter than the parser
 * underneath, which lets the calendar carry over: `2024-13-45` and `T25:00` are refused, not moved
 * to another day.
 */
export function validTimestamp(text: string): string | undefined {
  let normalized: string
  try {
    normalized = normalizeTimestamp(text)
  } catch (e) {
    if (e instanceof AsofError) return undefined
    throw e
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = FIELDS.exec(text.trim())!
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)))
  const sameDay = day.getUTCFullYear() === Number(y) && day.getUTCMonth() === Number(mo) - 1 && day.getUTCDate() === Number(d)
  return sameDay && Number(h) < 24 && Number(mi) < 60 && Number(s) < 60 ? normalized : undefined
}
