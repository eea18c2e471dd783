import { z } from 'zod'
import type { FastifyReply } from 'fastify'
import type { JsonValue, StartedRun } from '../../pipelines/index.js'
import type { RouteModule } from '../context.js'

const name = z.string().min(1).max(200)
const isoTime = z.string().min(1).max(64)
const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]))

/** `?wait=true`: answer when the run ends (for scripts) instead of at once. */
const waitQuery = z.object({
  wait: z.enum(['true', 'false']).default('false').transform((v) => v === 'true')
    .describe('true: answer when the run ends (201 for a new run, 200 otherwise), with its final state; default: answer 202 as soon as the run is stored'),
}).strict()

/**
 * Pipelines (definitions from the server's repo) and their runs, in Airflow's vocabulary. A run
 * started or resumed here answers 202 at once, with the run and a Location to poll
 * (`GET /api/v1/runs/:id`); the run continues in the server process.
 */
export const pipelinesRoutes: RouteModule = (app, { asof }) => {
  const pipelines = asof.pipelines
  const tags = ['pipelines']

  app.get('/api/v1/pipelines', { schema: { summary: 'Pipelines defined in the repo', tags } },
    async () => ({ pipelines: pipelines.list() }))

  app.get('/api/v1/pipelines/:name', { schema: { summary: 'One pipeline definition', tags, params: z.object({ name }) } },
    async (request) => pipelines.get(request.params.name))

  /** 202 with the run and where to poll it, or (wait) `endedStatus` with the run ended. */
  const answer = async (started: StartedRun, wait: boolean, reply: FastifyReply, endedStatus: 200 | 201) => {
    const { done, ...now } = started
    if (wait) return reply.code(endedStatus).send(await done)
    return reply.code(202).header('location', `/api/v1/runs/${encodeURIComponent(now.run.id)}`).send(now)
  }

  app.post('/api/v1/pipelines/:name/runs', {
    config: { access: 'write' },
    schema: {
      summary: 'Trigger a run (202 with the run to poll; ?wait=true answers when it ends); 409 while that logical date\'s run is queued or running',
      tags, params: z.object({ name }), querystring: waitQuery,
      body: z.object({
        params: z.record(z.string(), jsonValue).optional(),
        logical_date: isoTime.optional(),
        cache: z.boolean().optional(),
      }).strict().nullish(),
    },
  }, async (request, reply) => {
    const b = request.body ?? {}
    return answer(await pipelines.start(request.params.name, { params: b.params, logicalDate: b.logical_date, cache: b.cache }), request.query.wait, reply, 201)
  })

  app.post('/api/v1/pipelines/:name/backfill', {
    config: { access: 'write' },
    schema: {
      summary: 'Run every scheduled logical date in [from, to], one at a time (202 with the queued runs to poll; ?wait=true answers when all end)',
      tags, params: z.object({ name }), querystring: waitQuery,
      body: z.object({ from: isoTime, to: isoTime, rerun_succeeded: z.boolean().default(false), cache: z.boolean().optional() }).strict(),
    },
  }, async (request, reply) => {
    const b = request.body
    const { done, ...now } = await pipelines.startBackfill(request.params.name, { from: b.from, to: b.to, rerunSucceeded: b.rerun_succeeded, cache: b.cache })
    return request.query.wait ? reply.code(200).send(await done) : reply.code(202).send(now)
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
    schema: {
      summary: 'Finish a run interrupted by a crash (202 with the run to poll; ?wait=true answers when it ends)',
      tags, params: z.object({ id: name }), querystring: waitQuery,
    },
  }, async (request, reply) => answer(await pipelines.startResume(request.params.id), request.query.wait, reply, 200))
}
