import type { FastifyInstance, onResponseHookHandler } from 'fastify'
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { CacheStats } from '../featurestore/index.js'
import { addRouteHooks } from './route-hooks.js'

/**
 * The service's Prometheus metrics, on a registry per app (so several apps in one process, as in
 * tests, do not share counters). prom-client writes the text exposition format.
 */
export class ApiMetrics {
  readonly registry = new Registry()
  readonly requestDuration = new Histogram({
    name: 'asof_http_request_duration_seconds',
    help: 'HTTP request latency by route (the route pattern, not the raw URL)',
    labelNames: ['method', 'route', 'status_code'] as const,
    // Online lookups answer in a millisecond or two; training and retrieval take seconds.
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  })
  readonly onlineLookups = new Counter({
    name: 'asof_online_lookups_total',
    help: 'Entity rows looked up through /get-online-features',
    registers: [this.registry],
  })
  readonly onlineRequests = new Counter({
    name: 'asof_online_requests_total',
    help: '/get-online-features requests answered',
    registers: [this.registry],
  })
  readonly validations = new Counter({
    name: 'asof_validations_total',
    help: 'Validations run through the API (validate and checkpoint runs), by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  })

  /** @param cacheStats the online store's counters since start, read at each scrape. */
  constructor(cacheStats: () => CacheStats) {
    collectDefaultMetrics({ register: this.registry, prefix: 'asof_' })
    // The store keeps its own running totals; each scrape adds what accrued since the last one.
    const scraped = { hits: 0, fills: 0 }
    const accrue = (counter: Counter, key: keyof CacheStats) => {
      const now = cacheStats()[key]
      counter.inc(Math.max(0, now - scraped[key]))
      scraped[key] = now
    }
    new Counter({
      name: 'asof_online_cache_hits_total',
      help: 'Entity lookups answered from the in-process online cache (embedded: every lookup once its view is loaded; server mode: lookups whose keys were all cached)',
      registers: [this.registry],
      collect() { accrue(this, 'hits') },
    })
    new Counter({
      name: 'asof_online_cache_fills_total',
      help: 'Online table reads kept in the in-process cache (embedded: a whole view version loaded; server mode: one view\'s answer to a PostgreSQL read)',
      registers: [this.registry],
      collect() { accrue(this, 'fills') },
    })
  }

  /** Counts a finished validation: `success` true → passed, false → failed. */
  recordValidation(success: boolean): void {
    this.validations.inc({ outcome: success ? 'passed' : 'failed' })
  }
}

/**
 * Times every request by its route pattern (`addRouteHooks`); URLs no route matches share one
 * label, so they cannot explode cardinality.
 */
export function installRequestTiming(app: FastifyInstance, metrics: ApiMetrics): void {
  const timing = (route: string): onResponseHookHandler => (request, reply, done) => {
    metrics.requestDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000)
    done()
  }
  addRouteHooks(app, 'onResponse', (route) => timing(route.url), timing('unmatched'))
}
