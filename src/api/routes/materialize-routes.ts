import { z } from 'zod'
import type { MaterializationReport } from '../../featurestore/index.js'
import type { RouteModule } from '../context.js'

const isoTime = z.string().min(1).max(64)
/** View names, or `name@N`; absent: every feature view with `online: true`. */
const views = z.array(z.string().min(1).max(200)).min(1).optional()

function report(r: MaterializationReport) {
  return {
    views: r.views.map((v) => ({
      view: v.view, version: v.version, run_id: v.runId, start: v.start, end: v.end,
      rows_read: v.rowsRead, rows_written: v.rowsWritten, status: v.status, validation_result_id: v.validationResultId ?? null,
    })),
  }
}

/** Materialization into the online store (Feast's materialize / materialize-incremental) and its runs. */
export const materializeRoutes: RouteModule = (app, { asof }) => {
  const tags = ['materialization']

  app.post('/api/v1/materialize', {
    config: { access: 'write' },
    schema: {
      summary: 'Write the latest row per entity with start ≤ event time ≤ end to the online store (gated by checkpoints)', tags,
      body: z.object({ start: isoTime, end: isoTime, views }).strict(),
    },
  }, async (request) => report(await asof.online.materialize(request.body.start, request.body.end, request.body.views)))

  app.post('/api/v1/materialize-incremental', {
    config: { access: 'write' },
    schema: {
      summary: "From each view's watermark up to end", tags,
      body: z.object({ end: isoTime, views }).strict(),
    },
  }, async (request) => report(await asof.online.materializeIncremental(request.body.end, request.body.views)))

  app.get('/api/v1/materialization-runs', {
    schema: {
      summary: 'Materialization runs, newest first', tags,
      querystring: z.object({ view: z.string().min(1).max(200).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict(),
    },
  }, async (request) => ({ runs: await asof.online.listRuns(request.query) }))
}
