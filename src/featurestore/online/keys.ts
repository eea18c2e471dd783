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
  const parts: string[] = []
  for (const v of values) {
    const part = encodeKeyPart(v)
    if (part === null) return null
    parts.push(part)
  }
  return JSON.stringify(parts)
}

/** A null key part matches nothing (as in point-in-time joins), so the whole key is null. */
function encodeKeyPart(v: Value): string | null {
  if (v === null) return null
  switch (typeof v) {
    case 'string': return `s:${v}`
    case 'boolean': return `b:${v}`
    case 'bigint': return `n:${v}`
    // Integral numbers print like bigints so that 1001 and 1001n encode alike.
    case 'number': return `n:${Number.isInteger(v) ? BigInt(v).toString() : String(v)}`
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
  return JSON.stringify(values, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key] // before toJSON, which turns a Buffer into {type, data}
    if (typeof raw === 'bigint') return raw.toString()
    if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64')
    return v
  })
}

export function decodeFeatureValues(text: string): Value[] {
  return JSON.parse(text) as Value[]
}

/**
 * Where each element of a JSON array written by `encodeFeatureValues` (no whitespace between
 * tokens) lies in its UTF-8 bytes: `bounds[k]` is the opening bracket or the comma before element
 * k, `bounds[k + 1]` the comma or closing bracket after it. Top-level commas split; commas inside
 * strings, lists and objects do not (no byte of a multi-byte UTF-8 character is ASCII, so
 * scanning bytes is scanning characters).
 *
 * @example featureValueBounds(Buffer.from('[0.5,"a,b",null]')) → [0, 4, 10, 15]: '0.5', '"a,b"', 'null'
 */
export function featureValueBounds(bytes: Uint8Array): number[] {
  const end = bytes.length - 1
  const bounds = [0]
  if (end <= 1) return bounds
  let depth = 0
  for (let i = 1; i < end; i++) {
    const c = bytes[i]
    if (c === QUOTE) {
      // skip the string: a backslash escapes the next character
      for (i++; bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) depth++
    else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--
    else if (c === COMMA && depth === 0) bounds.push(i)
  }
  bounds.push(end)
  return bounds
}

/** JSON punctuation as UTF-8 bytes (the online answer writer, `onlineResponseJson`, shares the first two). */
export const COMMA = 44, CLOSE_BRACKET = 93
const QUOTE = 34, BACKSLASH = 92, OPEN_BRACKET = 91, OPEN_BRACE = 123, CLOSE_BRACE = 125
