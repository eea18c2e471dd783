import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Asof } from '../asof.js'
import type { ApiKeys } from '../keys/index.js'
import type { ApiMetrics } from './metrics.js'

/** The fastify instance with zod schemas as its type provider. */
export type ZodApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>

/** What every route file receives: the services and the app-level helpers. */
export interface ApiContext {
  readonly asof: Asof
  readonly keys: ApiKeys
  readonly metrics: ApiMetrics
}

/** A route file: registers one resource's routes on the app. */
export type RouteModule = (app: ZodApp, ctx: ApiContext) => void
