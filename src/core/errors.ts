/**
 * One error class for everything asof reports on purpose. Each error has a stable `code`
 * (declared once, in the table below, like fastify's lib/errors.js) and a `kind` that the
 * API maps to an HTTP status and the CLI to an exit code, each in exactly one place.
 */
export type ErrorKind = 'bad_input' | 'not_found' | 'conflict' | 'too_large' | 'unauthorized' | 'forbidden' | 'busy' | 'internal'

export class AsofError extends Error {
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'AsofError'
  }
}

/** Declares an error code with a typed message template; returns a factory for it. */
export function defineError<A extends unknown[]>(code: string, kind: ErrorKind, message: (...args: A) => string) {
  const factory = (...args: A) => new AsofError(code, kind, message(...args))
  return Object.assign(factory, { code, kind })
}

const list = (names: readonly string[]) => (names.length ? names.join(', ') : '(none)')

/**
 * ` (did you mean "x"?)` when a known name is within two edits of `name` (fewer for short names),
 * else ''. Names that differ only in their digits (`v2`/`v3`, versions) are different things, not typos.
 */
export function didYouMean(name: string, known: readonly string[]): string {
  const digitless = name.replace(/[0-9]/g, '')
  const best = known
    .filter((k) => k !== name && k.replace(/[0-9]/g, '') !== digitless)
    .map((k) => ({ k, d: editDistance(name, k) }))
    .sort((a, b) => a.d - b.d)[0]
  return best && best.d <= Math.min(2, Math.floor(name.length / 3)) ? ` (did you mean "${best.k}"?)` : ''
}

/** Optimal string alignment distance: a swap of two neighbours (`veiws`) counts as one edit. */
export function editDistance(a: string, b: string): number {
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

/** The table of error codes. Add new codes here, never inline. */
export const Errors = {
  badInput: defineError('ASOF_BAD_INPUT', 'bad_input', (where: string, problem: string) => `${where}: ${problem}`),
  invalidIdentifier: defineError('ASOF_INVALID_IDENTIFIER', 'bad_input', (what: string, name: string) =>
    `${what} ${JSON.stringify(name)} is not a plain identifier (letters, digits and _, not starting with a digit)`),
  notFound: defineError('ASOF_NOT_FOUND', 'not_found', (what: string, name: string, known: readonly string[] = []) =>
    `unknown ${what} ${JSON.stringify(name)}${didYouMean(name, known)}; known: ${list(known)}`),
  /**
   * A definition (a repo file, a pipeline, a request) names something that does not exist: bad
   * input in what was given, not a missing resource (`where` names the field; `owner`, whose name it is).
   */
  unknownReference: defineError('ASOF_UNKNOWN_REFERENCE', 'bad_input', (where: string, what: string, name: string, known: Iterable<string>, owner?: string) => {
    const names = [...known]
    return `${where}: unknown ${what} ${JSON.stringify(name)}${owner ? ` of ${owner}` : ''}${didYouMean(name, names)}; known: ${list(names)}`
  }),
  conflict: defineError('ASOF_CONFLICT', 'conflict', (problem: string) => problem),
  busy: defineError('ASOF_BUSY', 'busy', (problem: string) => problem),
  tooLarge: defineError('ASOF_TOO_LARGE', 'too_large', (problem: string) => problem),
  /** A well-formed request over a configured batch limit (the API answers 422). */
  tooManyRows: defineError('ASOF_TOO_MANY_ROWS', 'bad_input', (where: string, count: number, max: number) =>
    `${where}: ${count} rows is more than the limit of ${max} (ASOF_MAX_ENTITY_ROWS)`),
  unauthorized: defineError('ASOF_UNAUTHORIZED', 'unauthorized', (problem: string) => problem),
  forbidden: defineError('ASOF_FORBIDDEN', 'forbidden', (problem: string) => problem),
  engine: defineError('ASOF_ENGINE', 'internal', (engine: string, message: string) => `${engine}: ${message}`),
  sourceUnreadable: defineError('ASOF_SOURCE_UNREADABLE', 'bad_input', (source: string, message: string) =>
    `cannot read source ${JSON.stringify(source)}: ${message}`),
  /** An HTTP client (`connectAsof`, the CLI beside `asof serve`) could not reach the server. */
  serverUnreachable: defineError('ASOF_SERVER_UNREACHABLE', 'busy', (url: string, message: string) => `cannot reach the asof server at ${url}: ${message}`),
  /** An answer from a server that is not an asof problem document (a proxy's error page, another service). */
  unexpectedResponse: defineError('ASOF_UNEXPECTED_RESPONSE', 'internal', (server: string, status: string) => `${server} answered ${status}, not an asof answer`),
  /** A data-quality gate failed a batch, so the work it guards (materialization, training) did not happen. */
  gateFailed: defineError('ASOF_GATE_FAILED', 'conflict', (what: string, detail: string) => `${what}: ${detail}`),
} as const

export function isAsofError(e: unknown): e is AsofError {
  return e instanceof AsofError
}
