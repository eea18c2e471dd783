import { z } from 'zod'
import { parseDurationSeconds } from '../../core/index.js'
import { isPlainIdentifier } from '../../engines/index.js'

/** A name asof quotes into SQL or uses as a column: letters, digits and _, not starting with a digit. */
export const identifier = z.string().refine(isPlainIdentifier, {
  message: 'expected a plain identifier (letters, digits and _, not starting with a digit, at most 63 characters)',
})

/** `description`, `owner` and `tags`, as Feast objects carry them. */
export const annotations = {
  description: z.string().default(''),
  owner: z.string().default(''),
  tags: z.record(z.string(), z.string()).default({}),
}

/** A duration (`90s`, `15m`, `2h`, `2d`, or seconds) normalized to seconds; 0 means unlimited. */
export const durationSeconds = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    return parseDurationSeconds(value)
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 90s, 15m, 2h, 2d or a number of seconds, got ${JSON.stringify(value)}` })
    return z.NEVER
  }
})
