import { z } from 'zod'
import type { JsonValue } from '../../pipelines/index.js'
import type { RouteModule } from '../context.js'

const name = z.string().min(1).max(200)
const isoTime = z.string().min(1).max(64)
const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]))

/**
 * Pipelines (definitions from the server's repo) and their runs, in Airflow's vocabulary. A run
 * started here runs to the end before the request answers, with the run and its task instances.
 */
export const pipelinesRoutes: RouteModule = (app, { asof }) => {
  const pipelines = asof.pipelines
  const tags = ['pipelines']

  app.get('/api/v1/pipelines', { schema: { summary: 'Pipelines defined in the repo', tags } },
    async () => ({ pipelines: pipelines.list() }))

  app.get('/api/v1/pipelines/:name', { schema: { summary: 'One pipeline definition', tags, params: z.object({ name }) } },
    async (request) => pipelines.get(request.params.name))

  app.post('/api/v1/pipelines/:name/runs', {
    config: { access: 'write' },
    schema: {
      summary: 'Run a pipeline now (answers when the run ends)', tags, params: z.object({ name }),
      body: z.object({
        params: z.record(z.string(), jsonValue).optional(),
        logical_date: isoTime.optional(),
        cache: z.boolean().optional(),
      }).strict().nullish(),
    },
  }, async (request, reply) => {
    const b = request.body ?? {}
    return reply.code(201).send(await pipelines.run(request.params.name, { params: b.params, logicalDate: b.logical_date, cache: b.cache }))
  })

  app.post('/api/v1/pipelines/:name/backfill', {
    config: { access: 'write' },
    schema: {
      summary: 'Run every scheduled logical date in [from, to]', tags, params: z.object({ name }),
      body: z.object({ from: isoTime, to: isoTime, rerun_succeeded: z.boolean().default(false), cache: z.boolean().optional() }).strict(),
    },
  }, async (request) => {
    const b = request.body
    return pipelines.backfill(request.params.name, { from: b.from, to: b.to, rerunSucceeded: b.rerun_succeeded, cache: b.cache })
  })

  app.get('/api/v1/runs', {
    schema: {
      summary: 'Pipeline runs, newest logical date first', tags,
      querystring: z.object({ pipeline: name.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict(),
    },
  }, async (request) => ({ runs: await pipelines.runs({ pipeline: request.query.pipeline, limit: request.query.limit }) }))

  app.get('/api/v1/runs/:id', { schema: { summary: 'A run with its task instances', tags, params: z.object({ id: name }) } },
    async (request) => pipelines.show(request.params.id))

  app.post('/api/v1/runs/:id/resume', {
    config: { access: 'write' },
    schema: { summary: 'Finish a run interrupted by a crash', tags, params: z.object({ id: name }) },
  }, async (request) => pipelines.resume(request.params.id))
}
