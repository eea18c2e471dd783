import { z } from 'zod'
import { renderDataDocs, type StoredResult } from '../../expectations/index.js'
import type { RouteModule } from '../context.js'

/** The data-docs page of one stored result (the page renderer lives with the expectations). */
function docsPage(r: StoredResult): string {
  const pages = renderDataDocs([{
    id: r.id, checkpoint: r.checkpoint, suiteName: r.suite_name, suiteVersion: r.suite_version,
    batch: r.batch, success: r.success, runTime: r.run_time, result: r.result,
  }])
  return [...pages].find(([file]) => file !== 'index.html')![1]
}

/** A stored result's data-docs page, as HTML for a browser (the JSON operations are in the contract). */
export const checkpointsRoutes: RouteModule = (app, { asof }) => {
  app.get('/api/v1/results/:id/docs', {
    schema: { summary: "A result's data-docs page (HTML)", tags: ['checkpoints'], params: z.object({ id: z.string().min(1).max(200) }) },
  }, async (request, reply) => reply.type('text/html; charset=utf-8').send(docsPage(await asof.checkpoints.result(request.params.id))))
}
