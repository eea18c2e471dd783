import type { FastifyInstance, onRequestHookHandler, onResponseHookHandler, RouteOptions } from 'fastify'

interface RouteHookHandlers {
  onRequest: onRequestHookHandler
  onResponse: onResponseHookHandler
}

/**
 * Gives every route a `kind` hook of its own, made once when the route is added from what the
 * route declares (`hookFor` may give none), and URLs no route matches the `unmatched` hook.
 * Reading the route on every request through `request.routeOptions`, which fastify builds anew
 * on each read, cost every request.
 */
export function addRouteHooks<K extends keyof RouteHookHandlers>(
  app: FastifyInstance, kind: K, hookFor: (route: RouteOptions) => RouteHookHandlers[K] | undefined, unmatched: RouteHookHandlers[K],
): void {
  app.addHook('onRoute', (route) => {
    const hook = hookFor(route)
    if (!hook) return
    // fastify takes one hook or a list.
    const own: RouteHookHandlers[K] | RouteHookHandlers[K][] | undefined = route[kind]
    Object.assign(route, { [kind]: [...(own === undefined ? [] : Array.isArray(own) ? own : [own]), hook] })
  })
  // Both kinds of hook are called alike (request, reply, done); the casts only pick addHook's overload.
  const matchNone = unmatched as onRequestHookHandler
  app.addHook(kind as 'onRequest', (request, reply, done) => (request.is404 ? matchNone.call(app, request, reply, done) : done()))
}
