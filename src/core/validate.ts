import { z } from 'zod'
import { AsofError } from './errors.js'

/** Formats a zod issue path like `feature_views[0].ttl`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`
    else out += out ? `.${String(p)}` : String(p)
  }
  return out
}

/**
 * One line per zod issue, each naming the field at fault; given the `schema`, a misspelt key
 * also names the known key it is closest to (`feature_veiws` → did you mean "feature_views"?).
 */
export function describeZodError(error: z.ZodError, where: string, schema?: z.ZodType): string {
  return error.issues
    .map((i) => {
      const path = formatPath(i.path)
      const hint = i.code === 'unrecognized_keys' && schema ? didYouMean(i.keys, knownKeysAt(schema, i.path)) : ''
      return `${where}${path ? `: ${path}` : ''}: ${i.message}${hint}`
    })
    .join('; ')
}

/** The keys an object schema at `path` inside `schema` accepts (through arrays, optionals, defaults). */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let at: z.ZodType | undefined = unwrap(schema)
  for (const step of path) {
    if (at instanceof z.ZodArray) at = typeof step === 'number' ? unwrap(at.element as z.ZodType) : undefined
    else if (at instanceof z.ZodObject) at = unwrap((at.shape as Record<string, z.ZodType>)[String(step)])
    else at = undefined
  }
  return at instanceof z.ZodObject ? Object.keys(at.shape) : []
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let at = schema
  while (at instanceof z.ZodOptional || at instanceof z.ZodNullable || at instanceof z.ZodDefault || at instanceof z.ZodPipe) {
    at = at instanceof z.ZodPipe ? (at.in as z.ZodType) : (at.unwrap() as z.ZodType)
  }
  return at
}

/** ` (did you mean "x"?)` for the first unknown key within two edits of a known one, else ''. */
function didYouMean(unknown: readonly string[], known: readonly string[]): string {
  for (const key of unknown) {
    const best = known.map((k) => ({ k, d: editDistance(key, k) })).sort((a, b) => a.d - b.d)[0]
    if (best && best.d <= Math.min(2, Math.floor(key.length / 3))) return ` (did you mean "${best.k}"?)`
  }
  return ''
}

/** Optimal string alignment distance: a swap of two neighbours (`veiws`) counts as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
    }
  }
  return d[a.length]![b.length]!
}

/**
 * Parses `value` with `schema`, or throws one bad-input AsofError naming `where` and the path
 * of every field at fault (`repo/driver.yaml: feature_views[0].ttl: expected a duration like 2d`).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value)
  if (r.success) return r.data
  const first = r.error.issues[0]
  throw new AsofError('ASOF_BAD_INPUT', 'bad_input', describeZodError(r.error, where, schema), {
    where,
    field: first ? formatPath(first.path) : undefined,
    issues: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  })
}
