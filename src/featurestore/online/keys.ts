import type { Value } from '../../engines/index.js'

/**
 * Entity keys for the online store, encoded as text so that they compare by value AND type:
 * the string "1" and the number 1 differ, an int64 read as bigint equals the same number read
 * as a JS number, and a composite key is one tuple ((1, 12) never collides with (11, 2)).
 * A view without entities has the empty tuple as its only key.
 *
 * @example encodeEntityKey([1001]) === '["n:1001"]'; encodeEntityKey(['1001']) === '["s:1001"]'
 */
export function encodeEntityKey(values: readonly Value[]): string | null {
  // The JSON text of the list of parts, written directly: this runs for every key of every
  // online request, and a number's part needs no escaping.
  let key = '['
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    const part = encodeKeyPart(v)
    if (part === null) return null
    if (i) key += ','
    key += typeof v === 'number' || typeof v === 'bigint' ? `"${part}"` : JSON.stringify(part)
  }
  return `${key}]`
}

/** A null key part matches nothing (as in point-in-time joins), so the whole key is null. */
function encodeKeyPart(v: Value): string | null {
  if (v === null) return null
  switch (typeof v) {
    case 'string': return `s:${v}`
    case 'boolean': return `b:${v}`
    case 'bigint': return `n:${v}`
    // Integral numbers print like bigints so that 1001 and 1001n encode alike (String prints
    // integers from 1e21 up in exponent form).
    case 'number': return `n:${Number.isSafeInteger(v) ? String(v) : Number.isInteger(v) ? BigInt(v).toString() : String(v)}`
  }
  if (v instanceof Uint8Array) return `x:${Buffer.from(v).toString('hex')}`
  return `j:${JSON.stringify(v)}`
}

/**
 * Feature values are stored as a JSON array. JSON has no bigint or bytes, so an int64 beyond
 * 2^53 is stored (and served) as its decimal string and bytes as base64, which is also how they
 * appear in Feast's JSON responses.
 */
export function encodeFeatureValues(values: readonly Value[]): string {
  // A row of scalars (the common case) needs no replacer, which JSON.stringify calls for every
  // value: it was most of materialization's encoding time.
  return values.every(isJsonScalar) ? JSON.stringify(values) : JSON.stringify(values, jsonSafe)
}

function isJsonScalar(v: Value): boolean {
  return v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean'
}

function jsonSafe(this: Record<string, unknown>, key: string, v: unknown): unknown {
  const raw = this[key] // before toJSON, which turns a Buffer into {type, data}
  if (typeof raw === 'bigint') return raw.toString()
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64')
  return v
}

export function decodeFeatureValues(text: string): Value[] {
  return JSON.parse(text) as Value[]
}

/**
 * Where each element of a JSON array written by `encodeFeatureValues` (no whitespace between
 * tokens), held in `bytes[start, end)` as UTF-8, lies: `bounds[k]` is the offset in `bytes` of
 * the opening bracket or the comma before element k, `bounds[k + 1]` of the comma or closing
 * bracket after it. Top-level commas split; commas inside strings, lists and objects do not
 * (no byte of a multi-byte UTF-8 character is ASCII, so scanning bytes is scanning characters).
 *
 * @example featureValueBounds(Buffer.from('[0.5,"a,b",null]')) → [0, 4, 10, 15]: '0.5', '"a,b"', 'null'
 */
export function featureValueBounds(bytes: Uint8Array, start = 0, end = bytes.length): number[] {
  const last = end - 1
  const bounds = [start]
  if (last - start <= 1) return bounds
  let depth = 0
  for (let i = start + 1; i < last; i++) {
    const c = bytes[i]
    if (c === QUOTE) {
      // skip the string: a backslash escapes the next character
      for (i++; bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) depth++
    else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--
    else if (c === COMMA && depth === 0) bounds.push(i)
  }
  bounds.push(last)
  return bounds
}

/** JSON punctuation as UTF-8 bytes (the online answer writer, `onlineResponseJson`, shares the first two). */
export const COMMA = 44, CLOSE_BRACKET = 93
const QUOTE = 34, BACKSLASH = 92, OPEN_BRACKET = 91, OPEN_BRACE = 123, CLOSE_BRACE = 125
