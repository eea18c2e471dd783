import type { RouteModule } from '../context.js'

/** `GET /metrics` (Prometheus, read scope); `/health` is the contract's `service.health`. */
export const healthRoutes: RouteModule = (app, { metrics }) => {
  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['service'] },
  }, async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return metrics.registry.metrics()
  })
}
