import { Errors } from '../../core/index.js'

/**
 * Parses JSON as Python's json module writes it: bare `Infinity`, `-Infinity` and `NaN` are read as
 * the non-finite numbers (plain JSON.parse rejects them). They are rewritten, outside strings only,
 * to `{"$float": "…"}` objects — the same spelling the GX conformance cases use — and revived.
 */
export function parseLenientJson(text: string, where: string): unknown {
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      out += text.slice(i, j + 1)
      i = j + 1
      continue
    }
    const m = /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9))
    if (m) {
      out += `{"$float":"${m[1]}"}`
      i += m[1]!.length
      continue
    }
    out += c
    i++
  }
  try {
    return reviveFloats(JSON.parse(out))
  } catch (e) {
    throw Errors.badInput(where, `not valid JSON: ${(e as Error).message}`)
  }
}

const FLOATS: Record<string, number> = { Infinity: Infinity, '-Infinity': -Infinity, NaN: NaN }

/** Replaces every `{"$float": "Infinity" | "-Infinity" | "NaN"}` object with its number. */
export function reviveFloats(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reviveFloats)
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
    if (entries.length === 1 && entries[0]![0] === '$float' && typeof entries[0]![1] === 'string' && entries[0]![1] in FLOATS) {
      return FLOATS[entries[0]![1]]
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, reviveFloats(v)]))
  }
  return value
}
