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

/** One line per zod issue, each naming the field at fault. */
export function describeZodError(error: z.ZodError, where: string): string {
  return error.issues
    .map((i) => {
      const path = formatPath(i.path)
      return `${where}${path ? `: ${path}` : ''}: ${i.message}`
    })
    .join('; ')
}

/**
 * Parses `value` with `schema`, or throws one bad-input AsofError naming `where` and the path
 * of every field at fault (`repo/driver.yaml: feature_views[0].ttl: expected a duration like 2d`).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value)
  if (r.success) return r.data
  const first = r.error.issues[0]
  throw new AsofError('ASOF_BAD_INPUT', 'bad_input', describeZodError(r.error, where), {
    where,
    field: first ? formatPath(first.path) : undefined,
    issues: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  })
}
