import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ENGINES } from '../helpers/engines.js'
import { ApiKeys } from '../../src/keys/index.js'
import { bearer, call, startTestService, writeDriverRepo, type TestService } from './helpers.js'

const SUITE = {
  name: 'driver_suite',
  expectations: [
    { type: 'expect_column_values_to_not_be_null', kwargs: { column: 'driver_id' } },
    { type: 'expect_column_values_to_be_between', kwargs: { column: 'conv_rate', min_value: 0, max_value: 1 } },
  ],
}

for (const engine of ENGINES) {
  describe(`${engine.kind}: suites, validate, checkpoints, results, metric history`, { skip: engine.skip }, () => {
    let svc: TestService
    let read: Record<string, string>
    let write: Record<string, string>
    before(async () => {
      svc = await startTestService(engine, {
        writeRepo: (dir) => {
          writeDriverRepo(dir, Date.now())
          mkdirSync(join(dir, 'checkpoints'))
          writeFileSync(join(dir, 'checkpoints', 'driver_stats.json'), JSON.stringify({
            name: 'driver_stats', validations: [{ batch: { type: 'file', path: 'data/driver_stats.csv' }, suite: 'driver_suite' }],
          }))
        },
      })
      const keys = new ApiKeys(svc.asof.metadata)
      read = bearer((await keys.create('read')).secret)
      write = bearer((await keys.create('write')).secret)
    })
    after(async () => { await svc?.dispose() })

    it('creates, versions, reads and deletes suites as GX JSON', async () => {
      assert.equal((await call(svc.url, 'POST', '/api/v1/suites', { body: SUITE, headers: read })).status, 403)
      const created = await call(svc.url, 'POST', '/api/v1/suites', { body: SUITE, headers: write })
      assert.equal(created.status, 201, created.text)
      assert.deepEqual(created.json, { name: 'driver_suite', version: 1, created: true })
      const changed = { ...SUITE, expectations: SUITE.expectations.slice(0, 1) }
      assert.equal((await call(svc.url, 'PUT', '/api/v1/suites/driver_suite', { body: changed, headers: write })).json.version, 2)
      const v1 = await call(svc.url, 'GET', '/api/v1/suites/driver_suite?version=1', { headers: read })
      assert.equal(v1.json.suite.expectations.length, 2)
      assert.equal(v1.json.suite.expectations[1].type, 'expect_column_values_to_be_between')
      assert.deepEqual((await call(svc.url, 'GET', '/api/v1/suites/driver_suite/versions', { headers: read })).json.versions.map((v: { version: number }) => v.version), [1, 2])
      assert.equal((await call(svc.url, 'PUT', '/api/v1/suites/driver_suite', { body: SUITE, headers: write })).json.version, 3)

      const bad = await call(svc.url, 'POST', '/api/v1/suites', { body: { name: 'x', expectations: 'nope' }, headers: write })
      assert.equal(bad.status, 400)
      await call(svc.url, 'POST', '/api/v1/suites', { body: { ...SUITE, name: 'doomed' }, headers: write })
      assert.equal((await call(svc.url, 'DELETE', '/api/v1/suites/doomed', { headers: write })).status, 204)
      assert.equal((await call(svc.url, 'GET', '/api/v1/suites/doomed', { headers: read })).status, 404)
    })

    it('validates inline records and named batches with inline or stored suites, storing nothing', async () => {
      const failing = await call(svc.url, 'POST', '/api/v1/validate', {
        body: { suite: SUITE, records: [{ driver_id: 1, conv_rate: 0.5 }, { driver_id: null, conv_rate: 2 }] }, headers: write,
      })
      assert.equal(failing.status, 200, failing.text)
      assert.equal(failing.json.success, false)
      assert.deepEqual(failing.json.results.map((r: { success: boolean }) => r.success), [false, false])
      const passing = await call(svc.url, 'POST', '/api/v1/validate', {
        body: { suite_name: 'driver_suite', batch: { type: 'feature_view', name: 'driver_hourly_stats' } }, headers: write,
      })
      assert.ok([400, 404].includes(passing.status), 'the view is not applied yet')
      assert.match(passing.json.detail, /driver_hourly_stats/)
      await svc.asof.featureStore.apply()
      const applied = await call(svc.url, 'POST', '/api/v1/validate', {
        body: { suite_name: 'driver_suite@3', batch: { type: 'feature_view', name: 'driver_hourly_stats' } }, headers: write,
      })
      assert.equal(applied.status, 200, applied.text)
      assert.equal(applied.json.success, true)
      assert.deepEqual((await call(svc.url, 'GET', '/api/v1/results', { headers: read })).json, { results: [] })
      const both = await call(svc.url, 'POST', '/api/v1/validate', { body: { suite: SUITE, suite_name: 'x', records: [{ a: 1 }] }, headers: write })
      assert.equal(both.status, 400)
      assert.equal(both.json.field, 'body.suite')
    })

    it('runs a checkpoint, lists and fetches its result, renders its docs page, and serves metric history', async () => {
      assert.equal((await call(svc.url, 'POST', '/api/v1/checkpoints/driver_stats/runs', { headers: read })).status, 403)
      const run = await call(svc.url, 'POST', '/api/v1/checkpoints/driver_stats/runs', { headers: write })
      assert.equal(run.status, 201, run.text)
      assert.equal(run.json.success, true)
      const resultId = run.json.result_ids[0]
      const listed = await call(svc.url, 'GET', '/api/v1/results?checkpoint=driver_stats', { headers: read })
      assert.deepEqual(listed.json.results.map((r: { id: string }) => r.id), [resultId])
      const one = await call(svc.url, 'GET', `/api/v1/results/${resultId}`, { headers: read })
      assert.equal(one.json.suite_name, 'driver_suite')
      const docs = await call(svc.url, 'GET', `/api/v1/results/${resultId}/docs`, { headers: read })
      assert.match(docs.headers.get('content-type') ?? '', /^text\/html/)
      assert.match(docs.text, /expect_column_values_to_be_between/)
      const latest = await call(svc.url, 'GET', '/api/v1/checkpoints/driver_stats', { headers: read })
      assert.equal(latest.json.latest_result.run_id, run.json.run_id)

      const history = await call(svc.url, 'GET', `/api/v1/metric-history?metric=table.row_count&checkpoint=driver_stats`, { headers: read })
      assert.equal(history.status, 200, history.text)
      assert.deepEqual(history.json.history.map((h: { value: number }) => h.value), [4])
      const badArgs = await call(svc.url, 'GET', '/api/v1/metric-history?metric=column.max&args=nope', { headers: read })
      assert.equal(badArgs.status, 400)
      assert.equal(badArgs.json.field, 'querystring.args')

      const m = await call(svc.url, 'GET', '/metrics', { headers: read })
      assert.match(m.text, /asof_validations_total\{outcome="failed"\} [1-9]/)
      assert.match(m.text, /asof_validations_total\{outcome="passed"\} [1-9]/)
    })
  })
}
