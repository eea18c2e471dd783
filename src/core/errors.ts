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

/** Declares an error code: its kind, what causes it (for docs/errors.md), and a typed message template. */
export function defineError<A extends unknown[]>(code: string, kind: ErrorKind, cause: string, message: (...args: A) => string) {
  const factory = (...args: A) => new AsofError(code, kind, message(...args))
  return Object.assign(factory, { code, kind, cause })
}

/**
 * The same error carrying what caused it (`error.cause`, for the log, never for the user) and
 * `details` for the problem document: `causedBy(Errors.engine('duckdb', message), e)`.
 */
export function causedBy<E extends AsofError>(error: E, original: unknown, details?: Record<string, unknown>): E {
  return new AsofError(error.code, error.kind, error.message, details ?? error.details, { cause: original }) as E
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

const text = (problem: string) => problem

/**
 * The table of error codes, the only place a code is written (test/core/errors.test.ts checks
 * that, and that docs/errors.md, generated from this table by `npm run docs:errors`, is current).
 */
export const Errors = {
  badInput: defineError('ASOF_BAD_INPUT', 'bad_input',
    'A request, a command line or a repo file does not match its schema; the message names the field at fault.',
    (where: string, problem: string) => `${where}: ${problem}`),
  invalidIdentifier: defineError('ASOF_INVALID_IDENTIFIER', 'bad_input',
    'A name asof would use as a table or column (a view, a feature, a join key) is not a plain identifier.',
    (what: string, name: string) => `${what} ${JSON.stringify(name)} is not a plain identifier (letters, digits and _, not starting with a digit)`),
  notFound: defineError('ASOF_NOT_FOUND', 'not_found',
    'The object asked for (a suite, a checkpoint, a run, a model, a registry object) does not exist; the message lists the known ones.',
    (what: string, name: string, known: readonly string[] = []) => `unknown ${what} ${JSON.stringify(name)}${didYouMean(name, known)}; known: ${list(known)}`),
  unknownReference: defineError('ASOF_UNKNOWN_REFERENCE', 'bad_input',
    'A definition or a request names something that does not exist (a feature of a view, a pipeline task, a push source); the message suggests the closest known name.',
    (where: string, what: string, name: string, known: Iterable<string>, owner?: string) => {
      const names = [...known]
      return `${where}: unknown ${what} ${JSON.stringify(name)}${owner ? ` of ${owner}` : ''}${didYouMean(name, names)}; known: ${list(names)}`
    }),
  conflict: defineError('ASOF_CONFLICT', 'conflict',
    'The request is well-formed but clashes with the current state (a run of that logical date is already going, a version changed meanwhile).', text),
  busy: defineError('ASOF_BUSY', 'busy',
    'asof cannot do it now (the database is locked by another process, asof is shutting down, a write conflict persisted past its retries); trying again later may work.', text),
  tooLarge: defineError('ASOF_TOO_LARGE', 'too_large', 'A request body or a value is over a configured size limit (ASOF_BODY_LIMIT).', text),
  tooManyRows: defineError('ASOF_TOO_MANY_ROWS', 'bad_input',
    'A well-formed request has more rows than ASOF_MAX_ENTITY_ROWS allows in one call (the API answers 422).',
    (where: string, count: number, max: number) => `${where}: ${count} rows is more than the limit of ${max} (ASOF_MAX_ENTITY_ROWS)`),
  unauthorized: defineError('ASOF_UNAUTHORIZED', 'unauthorized', 'No API key, or one that is unknown or revoked, was sent to a server that has keys.', text),
  forbidden: defineError('ASOF_FORBIDDEN', 'forbidden',
    "The key's scope does not allow the operation, or a request names a file outside the repo and the data roots.", text),
  engine: defineError('ASOF_ENGINE', 'internal', 'DuckDB or PostgreSQL failed in a way that is not the input\'s fault; the server log has the engine\'s message.',
    (engine: string, message: string) => `${engine}: ${message}`),
  sqlRejected: defineError('ASOF_SQL_REJECTED', 'bad_input',
    'The engine refused SQL that a user wrote (a query batch, a SQL check, an entity query, a transformation): a syntax error, an unknown column, a type mismatch.', text),
  fileUnreadable: defineError('ASOF_FILE_UNREADABLE', 'bad_input', 'The engine could not open or parse a data file (missing, not CSV/Parquet/JSON, corrupt).', text),
  sourceUnreadable: defineError('ASOF_SOURCE_UNREADABLE', 'bad_input', "A feature view's source cannot be read (its file is gone, its table does not exist).",
    (source: string, message: string) => `cannot read source ${JSON.stringify(source)}: ${message}`),
  databaseUnreachable: defineError('ASOF_DATABASE_UNREACHABLE', 'busy', 'The PostgreSQL server of ASOF_DATABASE_URL does not answer or refuses the connection.',
    (message: string) => `cannot connect to PostgreSQL: ${message}`),
  migrationFailed: defineError('ASOF_MIGRATION_FAILED', 'internal', "A metadata migration failed; the database is left as the last migration that succeeded.",
    (migration: string, message: string) => `metadata migration ${migration} failed: ${message}`),
  onlineCacheFull: defineError('ASOF_ONLINE_CACHE_FULL', 'too_large',
    "The embedded online store's in-memory copy would pass its limits (2 GiB, or the number of view versions); serve it in server mode.", text),
  /** An HTTP client (`connectAsof`, the CLI beside `asof serve`) could not reach the server. */
  serverUnreachable: defineError('ASOF_SERVER_UNREACHABLE', 'busy', 'A client (connectAsof, the CLI beside asof serve) could not reach the server, or its answer broke off.',
    (url: string, message: string) => `cannot reach the asof server at ${url}: ${message}`),
  unexpectedResponse: defineError('ASOF_UNEXPECTED_RESPONSE', 'internal', "An answer from a server that is not an asof problem document (a proxy's error page, another service on the port).",
    (server: string, status: string) => `${server} answered ${status}, not an asof answer`),
  gateFailed: defineError('ASOF_GATE_FAILED', 'conflict', 'A data-quality gate failed a batch, so the work it guards (materialization, training) did not happen.',
    (what: string, detail: string) => `${what}: ${detail}`),
  noRoute: defineError('ASOF_NO_ROUTE', 'not_found', 'An HTTP request for a path and method the API does not have.',
    (method: string, path: string) => `no route ${method} ${path}`),
  badRequest: defineError('ASOF_BAD_REQUEST', 'bad_input', "fastify refused the request before asof saw it (unparsable JSON, a wrong content type); fastify's own code is used when it has one.", text),
  internal: defineError('ASOF_INTERNAL', 'internal', 'A bug in asof: the server log has the error under the request id the answer gives.',
    (requestId: string) => `internal error; see the server log for request id ${requestId}`),
} as const

export function isAsofError(e: unknown): e is AsofError {
  return e instanceof AsofError
}
