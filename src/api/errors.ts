import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { Errors, isAsofError, type AsofError } from '../core/index.js'
import { STATUS_OF_KIND as STATUS, type Problem } from '../client/index.js'

/** Codes whose input was well-formed but cannot be processed as asked (RFC 9110 §15.5.21). */
const UNPROCESSABLE = new Set([Errors.tooManyRows.code])

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 500: 'Internal Server Error', 503: 'Service Unavailable',
}

export function sendProblem(reply: FastifyReply, status: number, code: string, detail: string, field?: string): FastifyReply {
  const problem: Problem = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, code }
  if (field) problem.field = field
  return reply.code(status).type('application/problem+json').send(problem)
}

/** An AsofError as its problem document: the status of its kind (422 for well-formed input over a limit). */
export function sendError(reply: FastifyReply, error: AsofError): FastifyReply {
  const field = typeof error.details?.field === 'string' ? error.details.field : undefined
  return sendProblem(reply, statusOf(error), error.code, error.message, field)
}

/** The HTTP status of an error code of a kind. */
export function statusOf(error: Pick<AsofError, 'code' | 'kind'>): number {
  return UNPROCESSABLE.has(error.code) ? 422 : STATUS[error.kind]
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
    sendError(reply, Errors.noRoute(request.method, request.url.split('?')[0]!)))

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation
      const first = issues[0]
      const field = fieldName(error.validationContext, first?.instancePath ?? '')
      const detail = issues.map((i) => `${fieldName(error.validationContext, i.instancePath)}: ${i.message}`).join('; ')
      return sendProblem(reply, 400, Errors.badInput.code, detail, field)
    }
    if (isAsofError(error)) {
      if (statusOf(error) >= 500) request.log.error({ err: error }, 'request failed')
      return sendError(reply, error)
    }
    // fastify's own errors (unparsable JSON, body too large, bad content type) carry a 4xx status.
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500
    if (status >= 400 && status < 500) {
      return sendProblem(reply, status, error.code ?? Errors.badRequest.code, error.message)
    }
    request.log.error({ err: error }, 'unexpected error')
    return sendError(reply, Errors.internal(String(request.id)))
  })
}
