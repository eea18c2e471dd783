import { z } from 'zod'
import { WEBHOOK_EVENTS } from '../../pipelines/index.js'
import type { RouteModule } from '../context.js'

const name = z.string().min(1).max(200)
const version = z.coerce.number().int().positive()

/** The model registry, shaped like MLflow's: models, versions, aliases, tags, search, webhooks. */
export const modelsRoutes: RouteModule = (app, { asof }) => {
  const models = asof.models
  const tags = ['models']

  app.get('/api/v1/models', { schema: { summary: 'Registered models', tags } }, async () => ({ models: await models.listModels() }))

  app.get('/api/v1/models/:name', { schema: { summary: 'A registered model with its versions', tags, params: z.object({ name }) } },
    async (request) => ({ model: await models.getModel(request.params.name), versions: await models.search({ name: request.params.name }) }))

  app.get('/api/v1/models/:name/versions/:version', {
    schema: { summary: 'One model version (metrics, signature, lineage)', tags, params: z.object({ name, version }) },
  }, async (request) => models.getVersion(request.params.name, request.params.version))

  app.get('/api/v1/model-versions', {
    schema: {
      summary: 'Search model versions by name, alias and creation time', tags,
      querystring: z.object({
        name: name.optional(), alias: name.optional(), since: z.string().max(64).optional(), until: z.string().max(64).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }).strict(),
    },
  }, async (request) => ({ versions: await models.search(request.query) }))

  app.get('/api/v1/models/:name/aliases/:alias', {
    schema: { summary: 'The version an alias points at', tags, params: z.object({ name, alias: name }) },
  }, async (request) => models.resolve({ name: request.params.name, alias: request.params.alias }))

  app.put('/api/v1/models/:name/aliases/:alias', {
    config: { access: 'write' },
    schema: { summary: 'Point an alias (e.g. champion) at a version', tags, params: z.object({ name, alias: name }), body: z.object({ version: version }).strict() },
  }, async (request) => models.setAlias(request.params.name, request.params.alias, request.body.version))

  app.delete('/api/v1/models/:name/aliases/:alias', {
    config: { access: 'write' },
    schema: { summary: 'Remove an alias', tags, params: z.object({ name, alias: name }) },
  }, async (request, reply) => {
    await models.deleteAlias(request.params.name, request.params.alias)
    return reply.code(204).send()
  })

  app.put('/api/v1/models/:name/tags/:key', {
    config: { access: 'write' },
    schema: {
      summary: 'Set a tag on a model, or on one version', tags, params: z.object({ name, key: name }),
      body: z.object({ value: z.string().max(5000), version: version.optional() }).strict(),
    },
  }, async (request, reply) => {
    await models.setTag(request.params.name, request.body.version, request.params.key, request.body.value)
    return reply.code(204).send()
  })

  app.delete('/api/v1/models/:name/tags/:key', {
    config: { access: 'write' },
    schema: { summary: 'Delete a tag', tags, params: z.object({ name, key: name }), querystring: z.object({ version: version.optional() }).strict() },
  }, async (request, reply) => {
    await models.deleteTag(request.params.name, request.query.version, request.params.key)
    return reply.code(204).send()
  })

  // Webhooks make the server call arbitrary URLs, so managing them needs admin.
  app.get('/api/v1/model-webhooks', { config: { access: 'admin' }, schema: { summary: 'Registry webhooks', tags } },
    async () => ({ webhooks: await models.listWebhooks() }))

  app.post('/api/v1/model-webhooks', {
    config: { access: 'admin' },
    schema: {
      summary: 'Add a webhook (POSTs JSON on registry events, signed when a secret is given)', tags,
      body: z.object({
        url: z.url({ protocol: /^https?$/ }), events: z.array(z.enum(WEBHOOK_EVENTS)).min(1),
        model_name: name.optional(), secret: z.string().min(1).max(500).optional(),
      }).strict(),
    },
  }, async (request, reply) => reply.code(201).send(await models.addWebhook(request.body)))

  app.delete('/api/v1/model-webhooks/:id', {
    config: { access: 'admin' },
    schema: { summary: 'Remove a webhook', tags, params: z.object({ id: name }) },
  }, async (request, reply) => {
    await models.deleteWebhook(request.params.id)
    return reply.code(204).send()
  })
}
