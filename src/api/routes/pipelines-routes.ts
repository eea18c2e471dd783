import { z } from 'zod'
import type { FastifyReply } from 'fastify'
import { contract } from '../../client/index.js'
import type { StartedRun } from '../../pipelines/index.js'
import type { RouteModule } from '../context.js'
import { requestInput, routeSchemas } from '../contract-routes.js'

/** `?wait=true`: answer when the run ends (for scripts) instead of at once. */
const waitQuery = z.object({
  wait: z.enum(['true', 'false']).default('false').transform((v) => v === 'true')
    .describe('true: answer when the run ends (201 for a new run, 200 otherwise), with its final state; default: answer 202 as soon as the run is stored'),
}).strict()

/**
 * The contract's run, backfill and resume over HTTP: a run started here answers 202 at once, with
 * the run and a Location to poll (`GET /api/v1/runs/:id`), and continues in the server process
 * (the HTTP client polls it to its end). The other pipeline operations are plain contract routes.
 */
export const pipelinesRoutes: RouteModule = (app, { asof }) => {
  const pipelines = asof.pipelines
  const { run, backfill, resume } = contract.pipelines
  const schema = (operation: typeof run | typeof backfill | typeof resume) => {
    const { params, body } = routeSchemas(operation)
    return { summary: operation.summary, tags: [...operation.tags], querystring: waitQuery, ...(params ? { params } : {}), ...(body ? { body } : {}) }
  }

  /** 202 with the run and where to poll it, or (wait) `endedStatus` with the run ended. */
  const answer = async (started: StartedRun, wait: boolean, reply: FastifyReply, endedStatus: 200 | 201) => {
    const { done, ...now } = started
    if (wait) return reply.code(endedStatus).send(await done)
    return reply.code(202).header('location', `/api/v1/runs/${encodeURIComponent(now.run.id)}`).send(now)
  }
  // `wait` is this transport's own parameter, not the operation's.
  const input = (operation: typeof run | typeof backfill | typeof resume, request: { params: unknown; body: unknown }) =>
    requestInput(operation, { ...request, query: {} })

  app.post(run.path, { config: { access: run.access }, schema: schema(run) }, async (request, reply) => {
    const b = run.input.parse(input(run, request))
    return answer(await pipelines.start(b.name, { params: b.params, logicalDate: b.logical_date, cache: b.cache }), request.query.wait, reply, 201)
  })

  app.post(backfill.path, { config: { access: backfill.access }, schema: schema(backfill) }, async (request, reply) => {
    const b = backfill.input.parse(input(backfill, request))
    const { done, ...now } = await pipelines.startBackfill(b.name, { from: b.from, to: b.to, rerunSucceeded: b.rerun_succeeded, cache: b.cache })
    return request.query.wait ? reply.code(200).send(await done) : reply.code(202).send(now)
  })

  app.post(resume.path, { config: { access: resume.access }, schema: schema(resume) }, async (request, reply) => {
    const b = resume.input.parse(input(resume, request))
    return answer(await pipelines.startResume(b.id), request.query.wait, reply, 200)
  })
}
