import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify'
import { Errors } from '../core/index.js'
import { scopeAllows, type ApiKeyInfo, type ApiKeys, type KeyScope } from '../keys/index.js'
import { addRouteHooks } from './route-hooks.js'

/** What a route needs: a scope, or `public` (only /health). */
export type RouteAccess = KeyScope | 'public'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route requires; routes that do not say need `read`. */
    access?: RouteAccess
  }
  interface FastifyRequest {
    /**
     * The key that authenticated this request, for checks that depend on the input (user SQL
     * needs `sql`); `open` when the server runs without keys (embedded, loopback).
     */
    asofKey?: ApiKeyInfo | 'open'
  }
}

/**
 * Refuses a request whose key does not cover `need` for what the input asks (`what`, e.g. "a
 * query batch (body.batch)"): for checks a route's own scope cannot express.
 */
export function requireKeyScope(request: FastifyRequest, need: KeyScope, what: string): void {
  const key = request.asofKey
  if (key === 'open') return
  if (!key) throw Errors.unauthorized('an API key is required: send `Authorization: Bearer <key>` or `x-api-key: <key>`')
  if (!scopeAllows(key.scope, need)) {
    throw Errors.forbidden(`${what} runs your own SQL on the engine, which needs a key with scope ${need}; the key ${key.id} has scope ${key.scope} (create one with \`asof keys create --scope ${need}\`)`)
  }
}

/** The secret from `Authorization: Bearer …` or `x-api-key`. */
export function presentedSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (m) return m[1]
  }
  const apiKey = request.headers['x-api-key']
  return typeof apiKey === 'string' && apiKey ? apiKey : undefined
}

/**
 * Authentication: with any key active, every route but the public ones needs a key whose scope
 * covers the route's; with none, requests pass only when `allowOpen` (embedded mode on a
 * loopback address) and are otherwise refused with a hint to create a key. Each route gets the
 * check for its own scope (`addRouteHooks`); URLs no route matches need a read key.
 */
export function installAuth(app: FastifyInstance, keys: ApiKeys, allowOpen: boolean): void {
  app.decorateRequest('asofKey', undefined)
  /** The refusal of a request whose key is not cached, if it is refused. */
  const check = async (request: FastifyRequest, need: KeyScope, secret: string | undefined): Promise<Error | undefined> => {
    // A valid key is checked first, so a key made by another process works at once even while
    // this one still remembers that there were none.
    const key = secret === undefined ? undefined : await keys.authenticate(secret)
    if (key) {
      request.asofKey = key
      return refusal(key, need)
    }
    if (!(await keys.anyActive())) {
      if (allowOpen) {
        request.asofKey = 'open'
        return undefined
      }
      throw Errors.unauthorized('no API keys exist; create one with `asof keys create --scope admin`')
    }
    if (secret === undefined) throw Errors.unauthorized('an API key is required: send `Authorization: Bearer <key>` or `x-api-key: <key>`')
    throw Errors.unauthorized('the API key is not valid (unknown or revoked)')
  }
  /** A callback hook, so that a key found in the cache passes without a promise or a microtask. */
  const requireScope = (need: KeyScope): onRequestHookHandler => (request, _reply, done) => {
    const secret = presentedSecret(request)
    const known = secret === undefined ? undefined : keys.cached(secret)
    if (known) {
      request.asofKey = known
      return done(refusal(known, need))
    }
    check(request, need, secret).then(done, done)
  }
  addRouteHooks(app, 'onRequest', (route) => {
    const need = route.config?.access ?? 'read'
    return need === 'public' ? undefined : requireScope(need)
  }, requireScope('read'))
}

function refusal(key: ApiKeyInfo, need: KeyScope): Error | undefined {
  return scopeAllows(key.scope, need) ? undefined : Errors.forbidden(`this route needs a key with scope ${need}; the key ${key.id} has scope ${key.scope}`)
}
