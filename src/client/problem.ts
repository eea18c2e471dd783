import { AsofError, Errors, type ErrorKind } from '../core/index.js'

/** The one map from an error's kind to an HTTP status (the API answers with it, the HTTP client reads it back). */
export const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  bad_input: 400, not_found: 404, conflict: 409, too_large: 413,
  unauthorized: 401, forbidden: 403, busy: 503, internal: 500,
}

/** The inverse of STATUS_OF_KIND, for clients turning a problem document back into an AsofError. */
export function kindForStatus(status: number): ErrorKind {
  if (status === 422) return 'bad_input'
  const found = (Object.keys(STATUS_OF_KIND) as ErrorKind[]).find((k) => STATUS_OF_KIND[k] === status)
  return found ?? (status >= 400 && status < 500 ? 'bad_input' : 'internal')
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

/** The AsofError a problem+json answer describes: the same code and kind a local call throws. */
export function errorFromProblem(status: number, statusText: string, text: string, server: string): AsofError {
  let problem: Partial<Problem> = {}
  try { problem = JSON.parse(text) as Partial<Problem> } catch { /* not a problem document: report the status */ }
  const hint = status === 401 ? ' (send an API key made with `asof keys create`: ASOF_API_KEY, or connectAsof(url, {apiKey}))' : ''
  if (!problem.code) return Errors.unexpectedResponse(server, `${status} ${statusText}`)
  return new AsofError(problem.code, kindForStatus(status), `${problem.detail ?? `${status} ${statusText}`}${hint}`,
    { server, ...(problem.field ? { field: problem.field } : {}) })
}
