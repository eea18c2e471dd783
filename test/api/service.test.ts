import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES } from '../helpers/engines.js'
import { ApiKeys } from '../../src/keys/index.js'
import { bearer, call, startTestService, type TestService } from './helpers.js'

for (const engine of ENGINES) {
  describe(`${engine.kind}: service basics`, { skip: engine.skip }, () => {
    let svc: TestService
    before(async () => { svc = await startTestService(engine, { allowOpen: false, env: { ASOF_BODY_LIMIT: '2000' } }) })
    after(async () => { await svc?.dispose() })

    it('refuses everything but /health while no key exists and the server may not run open', async () => {
      assert.equal((await call(svc.url, 'GET', '/health')).status, 200)
      const r = await call(svc.url, 'GET', '/api/v1/keys')
      assert.equal(r.status, 401)
      assert.match(r.text, /asof keys create/)
    })

    it('enforces scopes read < write < admin, via Bearer or x-api-key, and honours revocation', async () => {
      const keys = new ApiKeys(svc.asof.metadata)
      const admin = await keys.create('admin', 'test admin')
      const read = await keys.create('read')
      assert.match(admin.secret, /^asof_/)

      const none = await call(svc.url, 'GET', '/metrics')
      assert.equal(none.status, 401)
      assert.equal(none.headers.get('content-type'), 'application/problem+json; charset=utf-8')
      assert.equal(none.json.code, 'ASOF_UNAUTHORIZED')
      assert.ok(none.headers.get('x-request-id'))

      assert.equal((await call(svc.url, 'GET', '/metrics', { headers: bearer('asof_wrong') })).status, 401)
      assert.equal((await call(svc.url, 'GET', '/metrics', { headers: bearer(read.secret) })).status, 200)
      assert.equal((await call(svc.url, 'GET', '/metrics', { headers: { 'x-api-key': read.secret } })).status, 200)
      assert.equal((await call(svc.url, 'GET', '/no/such/route')).status, 401, 'unknown routes need a key too')

      const forbidden = await call(svc.url, 'POST', '/api/v1/keys', { body: { scope: 'read' }, headers: bearer(read.secret) })
      assert.equal(forbidden.status, 403)
      assert.equal(forbidden.json.code, 'ASOF_FORBIDDEN')

      const created = await call(svc.url, 'POST', '/api/v1/keys', { body: { scope: 'write', name: 'ci' }, headers: bearer(admin.secret) })
      assert.equal(created.status, 201)
      assert.equal(created.json.scope, 'write')
      const listed = await call(svc.url, 'GET', '/api/v1/keys', { headers: bearer(admin.secret) })
      assert.deepEqual(listed.json.keys.map((k: { id: string }) => k.id).sort(), [admin.id, read.id, created.json.id].sort())
      assert.ok(!listed.text.includes(read.secret) && !listed.text.includes('secret'), 'secrets never listed')

      // the secret is stored only as a hash
      const stored = await svc.asof.metadata.db.selectFrom('api_keys').selectAll().execute()
      assert.ok(stored.every((row) => !JSON.stringify(row).includes(read.secret.slice(5))))

      assert.equal((await call(svc.url, 'DELETE', `/api/v1/keys/${read.id}`, { headers: bearer(admin.secret) })).status, 204)
      assert.equal((await call(svc.url, 'GET', '/metrics', { headers: bearer(read.secret) })).status, 401)
      const again = await call(svc.url, 'DELETE', `/api/v1/keys/${read.id}`, { headers: bearer(admin.secret) })
      assert.equal(again.status, 404)
      assert.match(again.json.detail, new RegExp(admin.id))
    })

    it('answers bad input with problem+json naming the field, and oversize bodies with 413', async () => {
      const admin = (await new ApiKeys(svc.asof.metadata).create('admin')).secret
      const bad = await call(svc.url, 'POST', '/api/v1/keys', { body: { scope: 'root' }, headers: bearer(admin) })
      assert.equal(bad.status, 400)
      assert.equal(bad.json.field, 'body.scope')
      assert.equal(bad.json.status, 400)
      assert.equal(bad.json.title, 'Bad Request')
      assert.match(bad.json.detail, /body\.scope/)

      const unparsable = await call(svc.url, 'POST', '/api/v1/keys', { rawBody: '{"scope": ', headers: bearer(admin) })
      assert.equal(unparsable.status, 400)
      assert.equal(unparsable.headers.get('content-type'), 'application/problem+json; charset=utf-8')

      const poisoned = await call(svc.url, 'POST', '/api/v1/keys', { rawBody: '{"scope":"read","__proto__":{"x":1}}', headers: bearer(admin) })
      assert.equal(poisoned.status, 400)

      const big = await call(svc.url, 'POST', '/api/v1/keys', { body: { scope: 'read', name: 'x'.repeat(5000) }, headers: bearer(admin) })
      assert.equal(big.status, 413)
      assert.equal(big.json.status, 413)
    })

    it('serves the OpenAPI document generated from the zod schemas, and Swagger UI', async () => {
      const admin = (await new ApiKeys(svc.asof.metadata).create('admin')).secret
      const doc = await call(svc.url, 'GET', '/docs/json', { headers: bearer(admin) })
      assert.equal(doc.status, 200)
      assert.match(doc.json.openapi, /^3\./)
      const createKey = doc.json.paths['/api/v1/keys'].post
      assert.deepEqual(createKey.requestBody.content['application/json'].schema.properties.scope.enum, ['read', 'write', 'sql', 'admin'])
      const ui = await call(svc.url, 'GET', '/docs/', { headers: bearer(admin) })
      assert.equal(ui.status, 200)
      assert.match(ui.text, /swagger/i)
    })

    it('exposes Prometheus metrics with per-route latency histograms', async () => {
      const admin = (await new ApiKeys(svc.asof.metadata).create('admin')).secret
      await call(svc.url, 'GET', '/health')
      await call(svc.url, 'GET', '/api/v1/feature-views/nope', { headers: bearer(admin) })
      await call(svc.url, 'GET', '/no/such/route', { headers: bearer(admin) })
      const m = await call(svc.url, 'GET', '/metrics', { headers: bearer(admin) })
      assert.match(m.headers.get('content-type') ?? '', /^text\/plain/)
      assert.match(m.text, /asof_http_request_duration_seconds_bucket\{le="0\.001",method="GET",route="\/health",status_code="200"\} \d+/)
      // By route pattern, never by raw URL.
      assert.match(m.text, /asof_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/feature-views\/:name",status_code="4\d\d"\} 1/)
      assert.match(m.text, /asof_http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1/)
      assert.doesNotMatch(m.text, /nope|no\/such/)
      assert.match(m.text, /# TYPE asof_online_lookups_total counter/)
      assert.match(m.text, /# TYPE asof_validations_total counter/)
    })
  })
}

describe('open mode', () => {
  it('lets a localhost embedded server answer without keys until one exists', async () => {
    const svc = await startTestService(ENGINES[0]!, { allowOpen: true })
    try {
      assert.equal((await call(svc.url, 'GET', '/api/v1/keys')).status, 200)
      const created = await call(svc.url, 'POST', '/api/v1/keys', { body: { scope: 'admin' } })
      assert.equal(created.status, 201)
      // the key exists now: open mode ends at once in this process
      assert.equal((await call(svc.url, 'GET', '/api/v1/keys')).status, 401)
      assert.equal((await call(svc.url, 'GET', '/api/v1/keys', { headers: bearer(created.json.secret) })).status, 200)
    } finally {
      await svc.dispose()
    }
  })
})
