import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { sql } from 'kysely'
import { ENGINES } from '../helpers/engines.js'
import { ApiKeys } from '../../src/keys/index.js'
import type { Asof } from '../../src/asof.js'
import { HOUR, bearer, call, iso, startTestService, writeDriverRepo, type TestService } from './helpers.js'

/** Every metadata table, each sorted: equal dumps mean nothing was written. */
async function dumpMetadata(asof: Asof): Promise<string> {
  const engine = asof.metadata.engine
  const tables = await engine.query<{ table_name: string }>(sql`select table_name from information_schema.tables where table_schema = current_schema() order by table_name`)
  const dump: Record<string, string[]> = {}
  for (const { table_name } of tables) {
    const rows = await engine.query(sql`select * from ${sql.id(table_name)}`)
    dump[table_name] = rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).sort()
  }
  return JSON.stringify(dump)
}

/**
 * Row counts of every metadata table in one query: cheap enough to take around each request,
 * so a rejected request can be shown to have written nothing.
 */
async function rowCounts(asof: Asof): Promise<string> {
  const engine = asof.metadata.engine
  const tables = await engine.query<{ table_name: string }>(sql`select table_name from information_schema.tables where table_schema = current_schema() order by table_name`)
  const counts = await engine.query(sql.join(tables.map(({ table_name }) => sql`select cast(${table_name} as text) as t, count(*) as n from ${sql.id(table_name)}`), sql` union all `))
  return JSON.stringify(counts.sort((a, b) => String(a.t).localeCompare(String(b.t))))
}

interface DocRoute {
  method: string
  path: string
  /** The query parameters the document declares for this route. */
  query: string[]
  /** The path parameters (`{name}` segments). */
  params: string[]
  /** The top-level fields of its JSON body schema, when it declares one. */
  bodyFields: string[]
}

/** Routes from the OpenAPI document: every method and path the app serves, with its parameters and body fields. */
async function routes(svc: TestService, secret: string): Promise<DocRoute[]> {
  const doc = (await call(svc.url, 'GET', '/docs/json', { headers: bearer(secret) })).json
  type DocOperation = { parameters?: { in: string; name: string }[]; requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } }
  return Object.entries(doc.paths as Record<string, Record<string, DocOperation>>).flatMap(([path, ops]) => Object.entries(ops).map(([method, o]) => ({
    method: method.toUpperCase(), path,
    query: (o.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
    params: (o.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
    bodyFields: Object.keys(o.requestBody?.content?.['application/json']?.schema?.properties ?? {}),
  })))
}

const hostileString = fc.oneof(
  fc.string(), fc.string({ unit: 'binary', maxLength: 50 }), fc.constantFrom('', '../../etc/passwd', "'; drop table api_keys; --",
    '"', '\\u0000', '%00', 'x'.repeat(5000), '__proto__', 'constructor', '1e309', '-0', 'NaN', 'driver_stats@-1:x', ':', '@'),
)
/**
 * Values a well-formed request would carry (a name, a number, a timestamp, a metric), so that the
 * other, hostile parameters of the same request get past the first check and reach the services.
 */
const plausibleString = fc.constantFrom('x', '1', '2', 'true', 'driver_hourly_stats', 'driver', 'table.row_count', '2024-01-01T00:00:00Z', '{}', '{"team":"a"}')
/** A parameter's value: well-formed or hostile (timestamps, numbers and JSON that are not). */
const paramValue = fc.oneof(plausibleString, hostileString,
  fc.constantFrom('notadate', 'x', '2024-13-45', '2024-01-01T25:00:00Z', '9999999-01-01', '1e999', '-1', '0', '{', '[]', 'null', "' or 1=1 --"))
const hostileValue = fc.oneof(fc.anything({ maxDepth: 4 }), hostileString, fc.constantFrom(1e308, -1, 2 ** 63, Number.MAX_SAFE_INTEGER + 2))
/** Bodies that look like asof's (known field names) with the wrong shapes inside. */
const knownFields = ['features', 'feature_service', 'entities', 'full_feature_names', 'push_source_name', 'df', 'to', 'scope', 'name',
  'suite', 'records', 'batch', 'expectations', 'entity_rows', 'dry_run', 'start', 'end', 'views', 'checkpoint', 'version']
const lookalikeBody = (fields: readonly string[]) => fc.dictionary(fc.constantFrom(...knownFields, ...fields), fc.oneof(hostileValue, paramValue), { maxKeys: 5 })
const rawBody = (fields: readonly string[]) => fc.oneof(
  hostileValue.map((v) => JSON.stringify(v) ?? 'null'),
  lookalikeBody(fields).map((v) => JSON.stringify(v)),
  fc.string(), // mostly not JSON at all
  fc.constantFrom('{', '[', '{"a":', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '[' .repeat(5000), 'null', '""'),
)
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream')

for (const engine of ENGINES) {
  describe(`${engine.kind}: hostile requests`, { skip: engine.skip }, () => {
    let svc: TestService
    let secret: string
    before(async () => {
      // A populated repo, so well-shaped parts of hostile requests reach the services.
      const now = Date.now()
      svc = await startTestService(engine, { env: { ASOF_BODY_LIMIT: '65536' }, writeRepo: (dir) => writeDriverRepo(dir, now) })
      secret = (await new ApiKeys(svc.asof.metadata).create('admin', 'fuzz')).secret
      await svc.asof.featureStore.apply()
      await svc.asof.online.materialize(iso(now - 10 * 24 * HOUR), iso(now))
    })
    after(async () => { await svc?.dispose() })

    it('never answer 5xx, never crash, never write', async () => {
      const all = await routes(svc, secret)
      assert.ok(all.length >= 4, `routes found: ${JSON.stringify(all)}`)
      const before = await dumpMetadata(svc.asof)
      const seen = new Map<string, number>()
      const accepted: string[] = []
      // Each route with values for its own path and query parameters (each left out, well-formed
      // or hostile), plus now and then a parameter it does not declare.
      const request = fc.constantFrom(...all).chain((route) => fc.record({
        route: fc.constant(route),
        body: rawBody(route.bodyFields),
        params: fc.record(Object.fromEntries(route.params.map((p) => [p, paramValue]))),
        query: fc.record(Object.fromEntries([...route.query, 'limit', 'version', 'format'].map((q) => [q, paramValue])), { requiredKeys: [] }),
      }))
      await fc.assert(fc.asyncProperty(
        request, contentType,
        async ({ route, body, params, query }, type) => {
          const path = route.path.replace(/\{([^}]+)\}/g, (_m, p: string) => encodeURIComponent(params[p] ?? '') || 'x')
          const qs = new URLSearchParams(query as Record<string, string>).toString()
          const hasBody = route.method !== 'GET' && route.method !== 'DELETE'
          const writes = route.method !== 'GET'
          const countsBefore = writes ? await rowCounts(svc.asof) : ''
          const r = await fetch(`${svc.url}${path}${qs ? `?${qs}` : ''}`, {
            method: route.method,
            headers: { ...bearer(secret), ...(hasBody ? { 'content-type': type } : {}) },
            body: hasBody ? body : undefined,
          })
          const text = await r.text()
          seen.set(`${route.method} ${route.path} ${r.status}`, (seen.get(`${route.method} ${route.path} ${r.status}`) ?? 0) + 1)
          assert.ok(r.status < 500, `${route.method} ${path} answered ${r.status}: ${text.slice(0, 300)}\nbody: ${body.slice(0, 300)}`)
          if (r.status >= 400) {
            assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8', `${route.method} ${path}: ${text.slice(0, 200)}`)
            if (writes) assert.equal(await rowCounts(svc.asof), countsBefore, `rejected ${route.method} ${path} wrote nothing`)
          } else if (writes) {
            // Random input is now and then a well-formed request (a suite named "OU" with no
            // expectations is a valid suite): that write is legitimate, not a leak.
            accepted.push(`${route.method} ${path}`)
          }
        }), { numRuns: 1000 })
      const hit = new Set([...seen.keys()].map((k) => k.split(' ').slice(0, 2).join(' ')))
      assert.deepEqual(all.filter((r) => !hit.has(`${r.method} ${r.path}`)), [], 'every route was fuzzed')
      assert.equal((await call(svc.url, 'GET', '/health')).status, 200, 'still alive')
      if (accepted.length === 0) assert.equal(await dumpMetadata(svc.asof), before, 'metadata unchanged')
    })
  })
}
