import { z } from 'zod'
import { canonicalJson } from '../../core/index.js'
import { metricsRepo } from '../../metadata/index.js'
import { renderDataDocs, type StoredResult } from '../../expectations/index.js'
import type { RouteModule } from '../context.js'

const name = z.string().min(1).max(200)

/** A query parameter holding a JSON object. */
const jsonObject = z.string().max(5000).transform((text, ctx) => {
  try {
    const value: unknown = JSON.parse(text)
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  } catch { /* reported below */ }
  ctx.addIssue({ code: 'custom', message: 'expected a JSON object, like {"column":"conv_rate"}' })
  return z.NEVER
})

/** The data-docs page of one stored result (the page renderer lives with the expectations). */
function docsPage(r: StoredResult): string {
  const pages = renderDataDocs([{
    id: r.id, checkpoint: r.checkpoint, suiteName: r.suite_name, suiteVersion: r.suite_version,
    batch: r.batch, success: r.success, runTime: r.run_time, result: r.result,
  }])
  return [...pages].find(([file]) => file !== 'index.html')![1]
}

/**
 * Checkpoints (files in the server's repo): run one, list stored results, fetch one result and
 * its data-docs page, and the recorded history of a metric for a batch.
 */
export const checkpointsRoutes: RouteModule = (app, { asof, metrics }) => {
  const checkpoints = asof.checkpoints
  const tags = ['checkpoints']

  app.get('/api/v1/checkpoints', { schema: { summary: 'Checkpoints defined in the repo', tags } },
    async () => ({ checkpoints: await checkpoints.list() }))

  app.get('/api/v1/checkpoints/:name', { schema: { summary: 'One checkpoint and its latest result', tags, params: z.object({ name }) } },
    async (request) => ({
      checkpoint: await checkpoints.load(request.params.name),
      latest_result: (await checkpoints.latestCheckpointResult(request.params.name)) ?? null,
    }))

  app.post('/api/v1/checkpoints/:name/runs', {
    config: { access: 'write' },
    schema: {
      summary: 'Run a checkpoint and its actions; success false when a validation failed', tags, params: z.object({ name }),
      body: z.object({ parameters: z.record(z.string(), z.unknown()).optional() }).strict().nullish(),
    },
  }, async (request, reply) => {
    const run = await checkpoints.runCheckpoint(request.params.name, { parameters: request.body?.parameters })
    for (const v of run.validations) metrics.recordValidation(v.success)
    return reply.code(201).send(run)
  })

  app.get('/api/v1/results', {
    schema: {
      summary: 'Stored validation results, newest first', tags,
      querystring: z.object({ checkpoint: name.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict(),
    },
  }, async (request) => ({ results: await checkpoints.results(request.query) }))

  app.get('/api/v1/results/:id', { schema: { summary: 'One stored validation result (GX shape)', tags, params: z.object({ id: name }) } },
    async (request) => checkpoints.result(request.params.id))

  app.get('/api/v1/results/:id/docs', {
    schema: { summary: "A result's data-docs page (HTML)", tags, params: z.object({ id: name }) },
  }, async (request, reply) => reply.type('text/html; charset=utf-8').send(docsPage(await checkpoints.result(request.params.id))))

  app.get('/api/v1/metric-history', {
    schema: {
      summary: 'Recorded values of one metric, newest first (for a batch, a checkpoint, metric args)', tags,
      querystring: z.object({
        metric: z.string().min(1).max(200),
        batch: z.string().min(1).max(1000).optional(),
        checkpoint: name.optional(),
        /** The metric's arguments as JSON, e.g. {"column":"conv_rate"}. */
        args: jsonObject.optional(),
        since: z.string().max(64).optional(),
        limit: z.coerce.number().int().min(1).max(10000).default(100),
      }).strict(),
    },
  }, async (request) => {
    const q = request.query
    const rows = await metricsRepo.metricHistory(asof.metadata.db, {
      metricName: q.metric, metricArgs: q.args && canonicalJson(q.args), batch: q.batch, checkpoint: q.checkpoint, since: q.since, limit: q.limit,
    })
    return {
      history: rows.map((r) => ({
        run_time: r.run_time, value: JSON.parse(r.value_json) as unknown, batch: r.batch, checkpoint: r.checkpoint,
        suite_name: r.suite_name, suite_version: r.suite_version, result_id: r.result_id, metric_args: JSON.parse(r.metric_args) as unknown,
      })),
    }
  })
}
