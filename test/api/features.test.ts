import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tableFromIPC } from 'apache-arrow'
import { ENGINES } from '../helpers/engines.js'
import { ApiKeys } from '../../src/keys/index.js'
import { HOUR, bearer, call, iso, startTestService, writeDriverRepo, type TestService } from './helpers.js'

for (const engine of ENGINES) {
  describe(`${engine.kind}: feature routes (registry, Feast online protocol, historical)`, { skip: engine.skip }, () => {
    const now = Date.now()
    let svc: TestService
    let read: Record<string, string>
    let write: Record<string, string>
    before(async () => {
      svc = await startTestService(engine, { env: { ASOF_MAX_ENTITY_ROWS: '5' }, writeRepo: (dir) => writeDriverRepo(dir, now) })
      const keys = new ApiKeys(svc.asof.metadata)
      read = bearer((await keys.create('read')).secret)
      write = bearer((await keys.create('write')).secret)
    })
    after(async () => { await svc?.dispose() })

    it('plans without writing, then applies with write scope and serves the registry with versions', async () => {
      const dry = await call(svc.url, 'POST', '/api/v1/apply', { body: { dry_run: true }, headers: write })
      assert.equal(dry.status, 200, dry.text)
      assert.equal(dry.json.applied, false)
      assert.ok(dry.json.entries.some((e: { kind: string; name: string; action: string }) => e.kind === 'feature_view' && e.name === 'driver_hourly_stats' && e.action === 'create'))
      assert.deepEqual((await call(svc.url, 'GET', '/api/v1/feature-views', { headers: read })).json, { feature_views: [] })
      assert.equal((await call(svc.url, 'POST', '/api/v1/apply', { body: {}, headers: read })).status, 403)

      const applied = await call(svc.url, 'POST', '/api/v1/apply', { headers: write })
      assert.equal(applied.status, 200, applied.text)
      assert.equal(applied.json.applied, true)
      const views = await call(svc.url, 'GET', '/api/v1/feature-views', { headers: read })
      assert.deepEqual(views.json.feature_views.map((v: { name: string; current_version: number }) => [v.name, v.current_version]), [['driver_hourly_stats', 1]])
      const view = await call(svc.url, 'GET', '/api/v1/feature-views/driver_hourly_stats?version=1', { headers: read })
      assert.equal(view.json.version, 1)
      assert.deepEqual(view.json.spec.schema.map((f: { name: string }) => f.name), ['conv_rate', 'avg_daily_trips'])
      const unknown = await call(svc.url, 'GET', '/api/v1/feature-views/nope', { headers: read })
      assert.equal(unknown.status, 404, unknown.text)
      assert.equal(unknown.json.detail, 'unknown feature view "nope"; known: driver_hourly_stats')
      const unknownVersion = await call(svc.url, 'GET', '/api/v1/feature-views/driver_hourly_stats?version=7', { headers: read })
      assert.equal(unknownVersion.status, 404, unknownVersion.text)
      assert.match(unknownVersion.json.detail, /unknown version of feature view driver_hourly_stats "7"; known: 1$/)
      assert.equal((await call(svc.url, 'GET', '/api/v1/entities/driver/versions', { headers: read })).json.versions.length, 1)
    })

    it('materializes and answers /get-online-features exactly in Feast’s column-oriented shape', async () => {
      const m = await call(svc.url, 'POST', '/api/v1/materialize', { body: { start: iso(now - 10 * 24 * HOUR), end: iso(now) }, headers: write })
      assert.equal(m.status, 200, m.text)
      assert.equal(m.json.views[0].rows_read, 2)

      const r = await call(svc.url, 'POST', '/get-online-features', {
        body: { features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'], entities: { driver_id: [1001, 1002, 1003] } },
        headers: read,
      })
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(r.json.metadata, { feature_names: ['driver_id', 'conv_rate', 'avg_daily_trips'] })
      assert.deepEqual(r.json.results.map((c: { values: unknown[] }) => c.values), [[1001, 1002, 1003], [0.75, 0.25, null], [12, 30, null]])
      assert.deepEqual(r.json.results.map((c: { statuses: string[] }) => c.statuses), [
        ['PRESENT', 'PRESENT', 'PRESENT'], ['PRESENT', 'OUTSIDE_MAX_AGE', 'NOT_FOUND'], ['PRESENT', 'OUTSIDE_MAX_AGE', 'NOT_FOUND'],
      ])
      assert.equal(r.json.results[1].event_timestamps[0].slice(0, 19), iso(now - HOUR).slice(0, 19))

      const service = await call(svc.url, 'POST', '/get-online-features', {
        body: { feature_service: 'driver_activity', entities: { driver_id: [1001] }, full_feature_names: true }, headers: read,
      })
      assert.deepEqual(service.json.metadata.feature_names, ['driver_id', 'driver_hourly_stats__conv_rate'])

      const metrics = await call(svc.url, 'GET', '/metrics', { headers: read })
      assert.match(metrics.text, /asof_online_lookups_total [1-9]/)
      // Server mode's near-cache counts hits only once its LISTEN session is up and has filled.
      assert.match(metrics.text, engine.kind === 'duckdb' ? /asof_online_cache_hits_total [1-9]/ : /asof_online_cache_hits_total \d+/)
    })

    it('gives each of many concurrent online requests its own answer', async () => {
      const conv: Record<number, number | null> = { 1001: 0.75, 1002: 0.25, 1003: null }
      const trips: Record<number, number | null> = { 1001: 12, 1002: 30, 1003: null }
      const asks = Array.from({ length: 400 }, (_, i) => {
        const ids = [1001, 1002, 1003, 1002, 1001].slice(i % 3, i % 3 + 1 + (i % 4))
        const features = i % 2 ? ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'] : ['driver_hourly_stats:avg_daily_trips']
        return { ids, features }
      })
      const answers = await Promise.all(asks.map(({ ids, features }) => call(svc.url, 'POST', '/get-online-features', { body: { features, entities: { driver_id: ids } }, headers: read })))
      answers.forEach((r, i) => {
        const { ids, features } = asks[i]!
        assert.equal(r.status, 200, r.text)
        const expected = [ids, ...features.map((f) => ids.map((id) => (f.endsWith('conv_rate') ? conv : trips)[id]))]
        assert.deepEqual(r.json.results.map((c: { values: unknown[] }) => c.values), expected, `request ${i}`)
      })
    })

    it('answers bad online requests with 400/404/422 problems and never 500', async () => {
      const noEntities = await call(svc.url, 'POST', '/get-online-features', { body: { features: ['driver_hourly_stats:conv_rate'] }, headers: read })
      assert.equal(noEntities.status, 400)
      assert.match(noEntities.json.detail, /entities/)
      const unknownView = await call(svc.url, 'POST', '/get-online-features', { body: { features: ['nope:x'], entities: { driver_id: [1] } }, headers: read })
      assert.ok([400, 404].includes(unknownView.status), unknownView.text)
      assert.match(unknownView.json.detail, /driver_hourly_stats/)
      const tooMany = await call(svc.url, 'POST', '/get-online-features', {
        body: { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1, 2, 3, 4, 5, 6] } }, headers: read,
      })
      assert.equal(tooMany.status, 422)
      assert.equal(tooMany.json.code, 'ASOF_TOO_MANY_ROWS')
      assert.equal(tooMany.json.field, 'body.entities')
    })

    it('pushes rows to the online store with write scope', async () => {
      const body = { push_source_name: 'driver_stats_source', df: { driver_id: [1002], conv_rate: [0.9], avg_daily_trips: [99], event_timestamp: [iso(now)] }, to: 'online' }
      assert.equal((await call(svc.url, 'POST', '/push', { body, headers: read })).status, 403)
      const pushed = await call(svc.url, 'POST', '/push', { body, headers: write })
      assert.equal(pushed.status, 200, pushed.text)
      const r = await call(svc.url, 'POST', '/get-online-features', { body: { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1002] } }, headers: read })
      assert.deepEqual(r.json.results[1], { values: [0.9], statuses: ['PRESENT'], event_timestamps: [r.json.results[1].event_timestamps[0]] })
    })

    it('retrieves historical features as JSON, Arrow IPC stream and Parquet', async () => {
      const body = { features: ['driver_hourly_stats:conv_rate'], entity_rows: [{ driver_id: 1001, event_timestamp: iso(now - 2 * 24 * HOUR) }, { driver_id: 1001, event_timestamp: iso(now) }] }
      const json = await call(svc.url, 'POST', '/api/v1/historical-features', { body, headers: read })
      assert.equal(json.status, 200, json.text)
      assert.deepEqual(json.json.map((r: { conv_rate: number | null }) => r.conv_rate), [null, 0.75])

      const arrow = await fetch(`${svc.url}/api/v1/historical-features`, {
        method: 'POST', body: JSON.stringify(body), headers: { ...read, 'content-type': 'application/json', accept: 'application/vnd.apache.arrow.stream' },
      })
      assert.equal(arrow.headers.get('content-type'), 'application/vnd.apache.arrow.stream')
      const table = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()))
      assert.equal(table.numRows, 2)
      assert.deepEqual(table.getChild('conv_rate')!.toArray().slice(1), Float64Array.from([0.75]))

      const parquet = await fetch(`${svc.url}/api/v1/historical-features`, {
        method: 'POST', body: JSON.stringify(body), headers: { ...read, 'content-type': 'application/json', accept: 'application/vnd.apache.parquet' },
      })
      const bytes = Buffer.from(await parquet.arrayBuffer())
      assert.equal(bytes.subarray(0, 4).toString(), 'PAR1')

      const fromFile = await call(svc.url, 'POST', '/api/v1/historical-features', { body: { features: ['driver_hourly_stats:conv_rate'], entity_file: 'entities.csv' }, headers: read })
      assert.equal(fromFile.status, 200, fromFile.text)
      assert.deepEqual(fromFile.json.map((r: { conv_rate: number }) => r.conv_rate), [0.5])
      const escape = await call(svc.url, 'POST', '/api/v1/historical-features', { body: { features: ['driver_hourly_stats:conv_rate'], entity_file: '../../etc/passwd' }, headers: read })
      assert.equal(escape.status, 403, escape.text)
      assert.equal(escape.json.field, 'body.entity_file')
    })

    it('answers online reads from a version applied through the API at once, not after the plan ttl', async () => {
      const ask = async () => (await call(svc.url, 'POST', '/get-online-features', {
        body: { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1001] } }, headers: read,
      })).json.results[1].statuses[0]
      assert.equal(await ask(), 'PRESENT') // the request's plan is now cached, for the materialized version
      const repo = join(svc.repoDir, 'repo.yaml')
      writeFileSync(repo, readFileSync(repo, 'utf8').replace('ttl: 2d', 'ttl: 3d'))
      const applied = await call(svc.url, 'POST', '/api/v1/apply', { headers: write })
      assert.equal(applied.status, 200, applied.text)
      assert.equal(await ask(), 'NOT_FOUND') // the new version, not materialized yet
    })
  })
}
