import { z } from 'zod'
import type { StoredSuite } from '../../expectations/index.js'
import type { RouteModule } from '../context.js'

const name = z.string().min(1).max(200)
/** A GX suite as JSON (0.x or 1.x); the suite store checks it and names the field at fault. */
const gxSuite = z.record(z.string(), z.unknown())

function stored(s: StoredSuite) {
  return { name: s.name, version: s.version, created_at: s.createdAt, suite: s.gx }
}

/** Expectation suites as GX JSON, stored with versions: saving a changed suite makes version N+1. */
export const suitesRoutes: RouteModule = (app, { asof }) => {
  const suites = asof.suites
  const tags = ['suites']

  app.get('/api/v1/suites', { schema: { summary: 'Stored suites (current versions)', tags } }, async () => ({
    suites: (await suites.list()).map((s) => ({ name: s.name, current_version: s.currentVersion, created_at: s.createdAt, updated_at: s.updatedAt })),
  }))

  app.get('/api/v1/suites/:name', {
    schema: {
      summary: 'A suite as GX 1.x JSON: its current version, or ?version=N', tags, params: z.object({ name }),
      querystring: z.object({ version: z.coerce.number().int().positive().optional() }).strict(),
    },
  }, async (request) => stored(await suites.get(request.params.name, request.query.version)))

  app.get('/api/v1/suites/:name/versions', { schema: { summary: 'Every version of a suite', tags, params: z.object({ name }) } },
    async (request) => ({ versions: (await suites.versions(request.params.name)).map(stored) }))

  app.post('/api/v1/suites', {
    config: { access: 'write' },
    schema: { summary: 'Create a suite (GX 0.x or 1.x JSON, named by its own name)', tags, body: gxSuite },
  }, async (request, reply) => {
    const saved = await suites.save(request.body, { where: 'body' })
    return reply.code(saved.created ? 201 : 200).send(saved)
  })

  app.put('/api/v1/suites/:name', {
    config: { access: 'write' },
    schema: { summary: 'Save a suite under this name; a changed suite becomes a new version', tags, params: z.object({ name }), body: gxSuite },
  }, async (request) => suites.save(request.body, { name: request.params.name, where: 'body' }))

  app.delete('/api/v1/suites/:name', {
    config: { access: 'write' },
    schema: { summary: 'Delete a suite and its versions', tags, params: z.object({ name }) },
  }, async (request, reply) => {
    await suites.delete(request.params.name)
    return reply.code(204).send()
  })
}
