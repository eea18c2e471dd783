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

/** The table of error codes. Add new codes here, never inline. */
export const Errors = {
  badInput: defineError('ASOF_BAD_INPUT', 'bad_input', (where: string, problem: string) => `${where}: ${problem}`),
  invalidIdentifier: defineError('ASOF_INVALID_IDENTIFIER', 'bad_input', (what: string, name: string) =>
    `${what} ${JSON.stringify(name)} is not a plain identifier (letters, digits and _, not starting with a digit)`),
  notFound: defineError('ASOF_NOT_FOUND', 'not_found', (what: string, name: string, known: readonly string[] = []) =>
    `unknown ${what} ${JSON.stringify(name)}; known: ${list(known)}`),
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
