/**
 * A route's own hooks of one kind, as a list (fastify takes one hook or a list), for `onRoute`
 * hooks that add a hook of their own to every route.
 */
export function routeHooks<H>(hooks: H | H[] | undefined): H[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]
}
