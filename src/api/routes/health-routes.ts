import { z } from 'zod'
import type { RouteModule } from '../context.js'

/** `GET /health` (public, for load balancers) and `GET /metrics` (Prometheus, read scope). */
export const healthRoutes: RouteModule = (app, { asof, metrics }) => {
  app.get('/health', {
    config: { access: 'public' },
    schema: {
      summary: 'Liveness: answers without a key',
      tags: ['service'],
      response: { 200: z.object({ status: z.literal('ok'), mode: z.enum(['embedded', 'server']) }) },
    },
  }, async () => ({ status: 'ok' as const, mode: asof.mode }))

  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['service'] },
  }, async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return metrics.registry.metrics()
  })
}
