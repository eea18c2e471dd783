import { z } from 'zod'
import { contract, handlers, inputShape, operations, pathParams, type Operation } from '../client/index.js'
import type { ApiContext, ZodApp } from './context.js'
import { requireSqlScopeFor } from './user-sql.js'
import { withAllowedFiles } from './file-access.js'

/** The route schemas of an operation: path parameters, then the query string (GET, DELETE) or the body. */
export function routeSchemas(operation: Operation, fixed: Readonly<Record<string, string>> = {}) {
  const shape = inputShape(operation.input)
  const inPath = pathParams(operation.path).filter((k) => !(k in fixed))
  const rest = Object.fromEntries(Object.entries(shape).filter(([k]) => !pathParams(operation.path).includes(k)))
  const params = inPath.length ? z.object(Object.fromEntries(inPath.map((k) => [k, shape[k]!]))).strict() : undefined
  // Always a strict query string: a parameter the operation does not declare is refused, and cannot
  // stand in for a path parameter (`/models/m/versions/1?version=x`) when the inputs are merged.
  if (operation.method === 'GET' || operation.method === 'DELETE') {
    return { params, querystring: z.object(rest).strict(), body: undefined }
  }
  const querystring = z.object({}).strict()
  if (operation.body) return { params, querystring, body: shape[operation.body]! }
  // Without path parameters the input is the body as it is, keeping its checks across fields (historical, validate).
  const body = pathParams(operation.path).length ? z.object(rest).strict() : operation.input
  // A body whose fields are all optional may be left out (`curl -X POST …/apply`).
  return { params, querystring, body: body.safeParse({}).success ? body.nullish() : body }
}

/**
 * The operation's input from a request: path parameters, query string and body, merged as the
 * client sent them apart. A left-out body takes its fields' defaults.
 */
export function requestInput(operation: Operation, request: { params: unknown; query: unknown; body: unknown }, fixed: Readonly<Record<string, string>> = {}): Record<string, unknown> {
  const { body: bodySchema } = routeSchemas(operation, fixed)
  let body = request.body
  if (operation.body) body = { [operation.body]: body }
  else if (body === null || body === undefined) body = bodySchema ? (bodySchema as z.ZodType).parse({}) ?? {} : {}
  return { ...fixed, ...(request.params as object), ...(request.query as object), ...(body as object) }
}

/**
 * Path parameters whose schema is an enum (registry kinds) become static paths, one per value,
 * so an unknown segment is a 404 like any unknown route, not a validation error.
 */
function expandPaths(operation: Operation): { url: string; fixed: Record<string, string> }[] {
  let out = [{ url: operation.path, fixed: {} as Record<string, string> }]
  for (const key of pathParams(operation.path)) {
    const schema = inputShape(operation.input)[key]
    if (!(schema instanceof z.ZodEnum)) continue
    out = out.flatMap(({ url, fixed }) => (schema.options as string[]).map((value) => ({ url: url.replace(`:${key}`, value), fixed: { ...fixed, [key]: value } })))
  }
  return out
}

/** What the API records about some operations' outputs (validation outcomes for `/metrics`). */
function observers(ctx: ApiContext): Partial<Record<string, (output: never) => void>> {
  return {
    'validation.validate': (result: { success: boolean }) => ctx.metrics.recordValidation(result.success),
    'checkpoints.run': (run: { validations: { success: boolean }[] }) => { for (const v of run.validations) ctx.metrics.recordValidation(v.success) },
  }
}

/**
 * Registers a route for every operation of the contract that is not `custom`: its schemas from the
 * operation, its handler the in-process one (`client/handlers.ts`), so the server, `openAsof` and
 * the OpenAPI document agree by construction.
 */
export function contractRoutes(app: ZodApp, ctx: ApiContext): void {
  const observe = observers(ctx)
  for (const { group, name, operation } of operations(contract)) {
    if (operation.route === 'custom') continue
    const handle = (handlers as unknown as Record<string, Record<string, (asof: ApiContext['asof'], input: unknown) => Promise<unknown>>>)[group]![name]!
    const after = observe[`${group}.${name}`] as ((output: unknown) => void) | undefined
    for (const { url, fixed } of expandPaths(operation)) {
      const schemas = routeSchemas(operation, fixed)
      const status = operation.status
      app.route({
        method: operation.method,
        url,
        config: { access: operation.access },
        schema: {
          summary: operation.summary, tags: [...operation.tags],
          ...(schemas.params ? { params: schemas.params } : {}),
          ...(schemas.querystring ? { querystring: schemas.querystring } : {}),
          ...(schemas.body ? { body: schemas.body } : {}),
          ...(status === 204 ? {} : { response: { [typeof status === 'number' ? status : 200]: operation.output } }),
        },
        handler: async (request, reply) => {
          const input = withAllowedFiles(ctx.asof, `${group}.${name}`, requestInput(operation, request, fixed))
          await requireSqlScopeFor(ctx.asof, request, `${group}.${name}`, input)
          const output = await handle(ctx.asof, input)
          after?.(output)
          const code = typeof status === 'function' ? status(output) : status ?? 200
          return code === 204 ? reply.code(204).send() : reply.code(code).send(output)
        },
      })
    }
  }
}
