import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { AsofError, Errors, isAsofError, type ErrorKind } from '../core/index.js'

/** The one map from an error's kind to an HTTP status. */
const STATUS: Record<ErrorKind, number> = {
  bad_input: 400, not_found: 404, conflict: 409, too_large: 413,
  unauthorized: 401, forbidden: 403, busy: 503, internal: 500,
}

/** The inverse of STATUS, for clients turning a problem document back into an AsofError. */
export function kindForStatus(status: number): ErrorKind {
  if (status === 422) return 'bad_input'
  const found = (Object.keys(STATUS) as ErrorKind[]).find((k) => STATUS[k] === status)
  return found ?? (status >= 400 && status < 500 ? 'bad_input' : 'internal')
}

/** Codes whose input was well-formed but cannot be processed as asked (RFC 9110 §15.5.21). */
const UNPROCESSABLE = new Set([Errors.tooManyRows.code])

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 500: 'Internal Server Error', 503: 'Service Unavailable',
}

/** An RFC 9457 problem document, plus asof's stable error code and the field at fault. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  field?: string
}

export function sendProblem(reply: FastifyReply, status: number, code: string, detail: string, field?: string): FastifyReply {
  const problem: Problem = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, code }
  if (field) problem.field = field
  return reply.code(status).type('application/problem+json').send(problem)
}

/** The same error, naming the request field at fault (the problem document's `field`). */
export function atField(error: AsofError, field: string): AsofError {
  return new AsofError(error.code, error.kind, error.message, { ...error.details, field }, { cause: error.cause })
}

/** `body.features[0]` from a validation context and a JSON pointer or zod path. */
function fieldName(context: string | undefined, path: string): string {
  const parts = path.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
  return `${context ?? 'body'}${parts.join('')}`
}

/**
 * Installs the one error handler and the not-found handler: every failure leaves as
 * `application/problem+json`. Client mistakes become 4xx naming the field at fault; only a bug
 * in asof itself is a 500, and its detail does not leak internals.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, 404, 'ASOF_NO_ROUTE', `no route ${request.method} ${request.url.split('?')[0]}`))

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation
      const first = issues[0]
      const field = fieldName(error.validationContext, first?.instancePath ?? '')
      const detail = issues.map((i) => `${fieldName(error.validationContext, i.instancePath)}: ${i.message}`).join('; ')
      return sendProblem(reply, 400, 'ASOF_BAD_INPUT', detail, field)
    }
    if (isAsofError(error)) {
      const status = UNPROCESSABLE.has(error.code) ? 422 : STATUS[error.kind]
      if (status >= 500) request.log.error({ err: error }, 'request failed')
      const field = typeof error.details?.field === 'string' ? error.details.field : undefined
      return sendProblem(reply, status, error.code, error.message, field)
    }
    // fastify's own errors (unparsable JSON, body too large, bad content type) carry a 4xx status.
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500
    if (status >= 400 && status < 500) {
      return sendProblem(reply, status, error.code ?? 'ASOF_BAD_REQUEST', error.message)
    }
    request.log.error({ err: error }, 'unexpected error')
    return sendProblem(reply, 500, 'ASOF_INTERNAL', 'internal error; see the server log for request id ' + String(request.id))
  })
}
