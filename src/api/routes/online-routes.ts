import { BufferPool, Errors } from '../../core/index.js'
import type { GetOnlineFeaturesRequest, PushRequest } from '../../featurestore/index.js'
import { atField, contract, type OnlineFeaturesJson } from '../../client/index.js'
import type { RouteModule } from '../context.js'

/** The online service parses the body itself (once); the route's schemas document it. */
const passThrough = () => (data: unknown) => ({ value: data })

/**
 * The documented response, as the UTF-8 JSON the service writes: fastify sends a Buffer as it is
 * (a string it would measure for Content-Length and node would copy again behind the headers).
 */
const documentedJson = (json: Buffer) => json as unknown as OnlineFeaturesJson

function entityRowCount(body: unknown): number {
  const entities = (body as { entities?: unknown })?.entities
  if (!entities || typeof entities !== 'object') return 0
  const first = Object.values(entities)[0]
  return Array.isArray(first) ? first.length : 0
}

/**
 * Feast's feature-server protocol, so Feast's HTTP clients work unchanged:
 * `POST /get-online-features` (the hot path: the request shape's plan is cached by the online
 * service, the body is validated once, and the service writes the answer's JSON text directly) and
 * `POST /push`.
 */
export const onlineRoutes: RouteModule = (app, { asof, metrics }) => {
  const maxRows = asof.config.api.maxEntityRows
  // Answers are written into pooled buffers, each given back once its response has been sent.
  const answers = new BufferPool()
  const take = (size: number) => answers.take(size)

  const { get, push } = contract.online
  app.post(get.path, {
    config: { access: get.access },
    schema: { summary: get.summary, tags: [...get.tags], body: get.input, response: { 200: get.output } },
    validatorCompiler: passThrough,
  }, async (request, reply) => {
    const rows = entityRowCount(request.body)
    if (rows > maxRows) throw atField(Errors.tooManyRows('body.entities', rows, maxRows), 'body.entities')
    const json = await asof.online.getOnlineFeaturesJson(request.body as GetOnlineFeaturesRequest, take)
    // `finish`: the socket has handed the last bytes to the kernel. An aborted response never
    // finishes, and its buffer is left to the garbage collector.
    reply.raw.once('finish', () => answers.give(json))
    metrics.onlineRequests.inc()
    metrics.onlineLookups.inc(rows)
    reply.type('application/json; charset=utf-8')
    return documentedJson(json)
  })

  app.post(push.path, {
    config: { access: push.access },
    schema: { summary: push.summary, tags: [...push.tags], body: push.input, response: { 200: push.output } },
    validatorCompiler: passThrough,
  }, async (request) => {
    const df = (request.body as { df?: Record<string, unknown> })?.df
    const rows = df && typeof df === 'object' ? entityRowCount({ entities: df }) : 0
    if (rows > maxRows) throw atField(Errors.tooManyRows('body.df', rows, maxRows), 'body.df')
    return asof.online.push(request.body as PushRequest)
  })
}
