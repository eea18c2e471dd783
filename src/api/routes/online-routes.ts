import { z } from 'zod'
import { Errors } from '../../core/index.js'
import { getOnlineFeaturesRequestSchema, pushRequestSchema, type GetOnlineFeaturesRequest, type OnlineFeaturesResponse, type PushRequest } from '../../featurestore/index.js'
import type { RouteModule } from '../context.js'
import { atField } from '../errors.js'

/** For the OpenAPI document only: the hot path serializes with `serializeOnlineResponse`. */
const onlineResponseSchema = z.object({
  metadata: z.object({ feature_names: z.array(z.string()) }),
  results: z.array(z.object({
    values: z.array(z.unknown()),
    statuses: z.array(z.enum(['PRESENT', 'NOT_FOUND', 'OUTSIDE_MAX_AGE'])),
    event_timestamps: z.array(z.string()),
  })),
})

/** JSON.stringify, falling back to a bigint-aware replacer only when a value needs it. */
function stringifyFast(data: unknown): string {
  try {
    return JSON.stringify(data)
  } catch {
    return JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v))
  }
}

/**
 * Feast's response as JSON. Every feature of a view shares its view's `statuses` and
 * `event_timestamps` arrays (the same objects), which are most of the bytes: each distinct array
 * is serialized once per response instead of once per feature (50 features in 5 views: 5 times,
 * not 50).
 */
export function serializeOnlineResponse(response: OnlineFeaturesResponse): string {
  const seen = new Map<unknown, string>()
  const once = (array: unknown) => {
    let json = seen.get(array)
    if (json === undefined) seen.set(array, (json = stringifyFast(array)))
    return json
  }
  let out = `{"metadata":{"feature_names":${stringifyFast(response.metadata.feature_names)}},"results":[`
  response.results.forEach((column, i) => {
    out += `${i ? ',' : ''}{"values":${stringifyFast(column.values)},"statuses":${once(column.statuses)},"event_timestamps":${once(column.event_timestamps)}}`
  })
  return `${out}]}`
}

/** The online service parses the body itself (once); the route's schemas document it. */
const passThrough = () => (data: unknown) => ({ value: data })
const serializeFast = () => (data: unknown) => serializeOnlineResponse(data as OnlineFeaturesResponse)

function entityRowCount(body: unknown): number {
  const entities = (body as { entities?: unknown })?.entities
  if (!entities || typeof entities !== 'object') return 0
  const first = Object.values(entities)[0]
  return Array.isArray(first) ? first.length : 0
}

/**
 * Feast's feature-server protocol, so Feast's HTTP clients work unchanged:
 * `POST /get-online-features` (the hot path: the request shape's plan is cached by the online
 * service, the body is validated once, and the answer is serialized by `serializeOnlineResponse`) and
 * `POST /push`.
 */
export const onlineRoutes: RouteModule = (app, { asof, metrics }) => {
  const maxRows = asof.config.api.maxEntityRows

  app.post('/get-online-features', {
    schema: {
      summary: "Latest feature values for entities (Feast's /get-online-features)",
      tags: ['features'],
      body: getOnlineFeaturesRequestSchema,
      response: { 200: onlineResponseSchema },
    },
    validatorCompiler: passThrough,
    serializerCompiler: serializeFast,
  }, async (request) => {
    const rows = entityRowCount(request.body)
    if (rows > maxRows) throw atField(Errors.tooManyRows('body.entities', rows, maxRows), 'body.entities')
    const response = await asof.online.getOnlineFeatures(request.body as GetOnlineFeaturesRequest)
    metrics.onlineRequests.inc()
    metrics.onlineLookups.inc(rows)
    return response
  })

  app.post('/push', {
    config: { access: 'write' },
    schema: {
      summary: "Rows of a source to the online store, its offline table, or both (Feast's /push)",
      tags: ['features'],
      body: pushRequestSchema,
    },
    validatorCompiler: passThrough,
  }, async (request) => {
    const df = (request.body as { df?: Record<string, unknown> })?.df
    const rows = df && typeof df === 'object' ? entityRowCount({ entities: df }) : 0
    if (rows > maxRows) throw atField(Errors.tooManyRows('body.df', rows, maxRows), 'body.df')
    return asof.online.push(request.body as PushRequest)
  })
}
