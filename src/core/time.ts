import { Errors } from './errors.js'

/**
 * Timestamps travel through asof as microseconds since the epoch (bigint) or as ISO-8601 UTC
 * strings with up to six fractional digits, because a JavaScript Date holds only milliseconds.
 */
export type Micros = bigint

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?|UTC)?$/

/** Parses ISO-8601 (offset optional: none means UTC) into epoch microseconds. */
export function parseTimestampMicros(value: string, where = 'timestamp'): Micros {
  const m = ISO.exec(value.trim())
  if (!m) throw Errors.badInput(where, `expected an ISO-8601 timestamp, got ${JSON.stringify(value)}`)
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz] = m
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const
  const ms = Date.UTC(...fields)
  // Date.UTC carries over (month 13, day 45, hour 25, year 50 → 1950): a field it moved was not a date.
  const date = new Date(ms)
  const read = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()]
  if (Number.isNaN(ms) || read.some((v, i) => v !== fields[i])) throw Errors.badInput(where, `invalid timestamp ${JSON.stringify(value)}`)
  let micros = BigInt(ms) * 1000n + BigInt((frac + '000000').slice(0, 6))
  if (tz && tz !== 'Z' && tz !== 'z' && tz !== 'UTC') {
    const sign = tz[0] === '-' ? -1n : 1n
    const digits = tz.slice(1).replace(':', '')
    const offsetMinutes = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'))
    micros -= sign * offsetMinutes * 60_000_000n
  }
  return micros
}

/** Formats epoch microseconds as ISO-8601 UTC, with a fraction only when it is non-zero. */
export function formatMicros(micros: Micros): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)
  const sub = Number(micros - ms * 1000n)
  const iso = new Date(Number(ms)).toISOString() // YYYY-MM-DDTHH:MM:SS.mmmZ
  const millis = iso.slice(20, 23)
  const frac = `${millis}${String(sub).padStart(3, '0')}`.replace(/0+$/, '')
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}Z`
}

/** Normalizes any ISO-8601 string (with or without offset) to UTC, keeping microseconds. */
export function normalizeTimestamp(value: string, where?: string): string {
  return formatMicros(parseTimestampMicros(value, where))
}

export function dateToMicros(d: Date): Micros {
  return BigInt(d.getTime()) * 1000n
}

export function microsToDate(m: Micros): Date {
  return new Date(Number(m / 1000n))
}
