import { z } from 'zod'
import { AsofError, Errors, didYouMean } from './errors.js'

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
      const hint = i.code === 'unrecognized_keys' && schema ? firstHint(i.keys, knownKeysAt(schema, i.path)) : ''
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

/** The suggestion for the first unknown key that has one. */
function firstHint(unknown: readonly string[], known: readonly string[]): string {
  for (const key of unknown) {
    const hint = didYouMean(key, known)
    if (hint) return hint
  }
  return ''
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let at = schema
  while (at instanceof z.ZodOptional || at instanceof z.ZodNullable || at instanceof z.ZodDefault || at instanceof z.ZodPipe) {
    at = at instanceof z.ZodPipe ? (at.in as z.ZodType) : (at.unwrap() as z.ZodType)
  }
  return at
}

/**
 * Parses `value` with `schema`, or throws one bad-input AsofError naming `where` and the path
 * of every field at fault (`repo/driver.yaml: feature_views[0].ttl: expected a duration like 2d`).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value)
  if (r.success) return r.data
  const first = r.error.issues[0]
  throw new AsofError(Errors.badInput.code, Errors.badInput.kind, describeZodError(r.error, where, schema), {
    where,
    field: first ? formatPath(first.path) : undefined,
    issues: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  })
}
