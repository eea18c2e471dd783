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
 * The JSON text of each element of a JSON array written by `encodeFeatureValues` (no
 * whitespace between tokens): top-level commas split, commas inside strings, lists and
 * objects do not.
 *
 * @example splitFeatureValues('[0.5,"a,b",[1,2],null]') → ['0.5', '"a,b"', '[1,2]', 'null']
 */
export function splitFeatureValues(text: string): string[] {
  const parts: string[] = []
  const end = text.length - 1
  if (end <= 1) return parts
  let start = 1
  let depth = 0
  for (let i = 1; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      // skip the string: a backslash escapes the next character
      for (i++; text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) depth++
    else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--
    else if (c === COMMA && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start, end))
  return parts
}

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, OPEN_BRACKET = 91, CLOSE_BRACKET = 93, OPEN_BRACE = 123, CLOSE_BRACE = 125
