import { z } from 'zod'
import { KEY_SCOPES } from '../../metadata/index.js'
import type { RouteModule } from '../context.js'

const keyInfo = z.object({
  id: z.string(), name: z.string(), scope: z.enum(KEY_SCOPES), created_at: z.string(), revoked_at: z.string().nullable(),
})

/** Key management (admin scope): create (the secret is in this one response only), list, revoke. */
export const keysRoutes: RouteModule = (app, { keys }) => {
  app.post('/api/v1/keys', {
    config: { access: 'admin' },
    schema: {
      summary: 'Create an API key; the secret is shown once',
      tags: ['keys'],
      body: z.object({ scope: z.enum(KEY_SCOPES), name: z.string().min(1).max(200).optional() }).strict(),
      response: { 201: keyInfo.extend({ secret: z.string() }) },
    },
  }, async (request, reply) => reply.code(201).send(await keys.create(request.body.scope, request.body.name)))

  app.get('/api/v1/keys', {
    config: { access: 'admin' },
    schema: { summary: 'List API keys (never their secrets)', tags: ['keys'], response: { 200: z.object({ keys: z.array(keyInfo) }) } },
  }, async () => ({ keys: await keys.list() }))

  app.delete('/api/v1/keys/:id', {
    config: { access: 'admin' },
    schema: { summary: 'Revoke an API key', tags: ['keys'], params: z.object({ id: z.string().min(1).max(200) }) },
  }, async (request, reply) => {
    await keys.revoke(request.params.id)
    return reply.code(204).send()
  })
}
