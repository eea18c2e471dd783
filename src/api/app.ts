import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { Errors, newId } from '../core/index.js'
import type { Asof } from '../asof.js'
import { installAuth } from './auth.js'
import { contractRoutes } from './contract-routes.js'
import type { ApiContext, RouteModule } from './context.js'
import { installErrorHandling, sendProblem } from './errors.js'
import { ApiMetrics, installRequestTiming } from './metrics.js'
import { healthRoutes } from './routes/health-routes.js'
import { checkpointsRoutes } from './routes/checkpoints-routes.js'
import { historicalRoutes } from './routes/historical-routes.js'
import { onlineRoutes } from './routes/online-routes.js'
import { pipelinesRoutes } from './routes/pipelines-routes.js'
import { consoleRoutes } from './console-routes.js'

export interface AppOptions {
  /**
   * With no API key configured, answer requests without one. `asof serve` sets it only in
   * embedded mode on a loopback address, and says so at start.
   */
  allowOpen?: boolean
}

/**
 * Every route: the contract's operations (`contractRoutes`, one source for the SDK, the routes and
 * the OpenAPI document), then the routes a transport needs by hand — the online hot path, Arrow
 * streams, runs answering 202, HTML pages, Prometheus — each in a file of its own.
 */
const ROUTES: readonly RouteModule[] = [
  contractRoutes, healthRoutes, onlineRoutes, historicalRoutes, checkpointsRoutes, pipelinesRoutes, consoleRoutes,
]

/**
 * Builds the REST API over an open Asof, without listening (fastify's testing rule: `server.ts`
 * listens, tests and benchmarks build). Every body, query and parameter is a zod schema; the
 * same schemas generate the OpenAPI document at `/docs/json` and Swagger UI at `/docs`.
 */
export async function buildApp(asof: Asof, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: asof.log as FastifyBaseLogger,
    bodyLimit: asof.config.api.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: requestIds(),
    // URL-level rejections (a path parameter over the router's length limit, a malformed URL)
    // come from the router, before any hook: they answer in the same problem shape.
    frameworkErrors: (error, _request, reply) => {
      void sendProblem(reply, error.statusCode ?? 400, error.code, error.message.slice(0, 300))
    },
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)

  const ctx: ApiContext = { asof, keys: asof.keys, metrics: new ApiMetrics(() => asof.online.cacheStats()) }
  installErrorHandling(app)
  // First hook: even a refused request carries its id back, to match it with the log.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
  rejectNulCharacters(app)
  installAuth(app, ctx.keys, options.allowOpen ?? false)
  installRequestTiming(app, ctx.metrics)

  await app.register(swagger, {
    openapi: {
      info: { title: 'asof', description: 'Feature store with data-quality gates', version: '0.1.0' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  for (const routes of ROUTES) routes(app, ctx)
  await app.ready()
  return app
}

/**
 * PostgreSQL text cannot hold U+0000, so no asof input may carry it: refused up front, in the
 * URL (`%00`) and in JSON bodies (where it can only appear escaped, as `\u0000`).
 */
function rejectNulCharacters(app: FastifyInstance): void {
  // Hostile bodies: __proto__/constructor keys are refused, not silently stripped.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).includes('\\u0000')) done(Errors.badInput('body', 'NUL characters (\\u0000) are not accepted'), undefined)
    else parseJson(request, body as string, done)
  })
  app.addHook('onRequest', (request, _reply, done) => {
    done(request.url.includes('%00') ? Errors.badInput('url', 'NUL characters (%00) are not accepted') : undefined)
  })
}

/**
 * Request ids unique across processes and replicas without per-request randomness: one random
 * prefix per app, then a counter (`req_<time+random>-1f`).
 */
function requestIds(): () => string {
  const prefix = newId('req_')
  let n = 0
  return () => `${prefix}-${(++n).toString(36)}`
}
