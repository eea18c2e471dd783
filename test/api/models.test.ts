import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES } from '../helpers/engines.js'
import { ApiKeys } from '../../src/keys/index.js'
import { bearer, call, startTestService, type TestService } from './helpers.js'

for (const engine of ENGINES) {
  describe(`${engine.kind}: model registry routes`, { skip: engine.skip }, () => {
    let svc: TestService
    let read: Record<string, string>
    let write: Record<string, string>
    before(async () => {
      svc = await startTestService(engine)
      const keys = new ApiKeys(svc.asof.metadata)
      read = bearer((await keys.create('read')).secret)
      write = bearer((await keys.create('write')).secret)
      await svc.asof.models.register({
        name: 'trip_model', runId: 'run-1', artifactUri: 'file:///m', artifactHash: 'abc',
        metrics: { overall: { auc: 0.8 } }, signature: { inputs: [{ name: 'conv_rate', type: 'double' }], outputs: [{ name: 'p', type: 'double' }] },
        lineage: { feature_views: [{ name: 'driver_hourly_stats', version: 1 }], feature_refs: ['driver_hourly_stats:conv_rate'], dataset: { uri: 'x', sha256: 'y', rows: 10 }, checkpoint_result_ids: [], pipeline: null, pipeline_run: null, params: {} },
        training: { rows: { total: 10, train: 8, test: 2 }, categorical: {}, numeric: {}, permutation_importance: {}, backend: 'wasm', epochs: 1, resumed_from_epoch: 0 },
      })
    })
    after(async () => { await svc?.dispose() })

    it('reads models and versions, moves aliases with write scope only', async () => {
      const list = await call(svc.url, 'GET', '/api/v1/models', { headers: read })
      assert.deepEqual(list.json.models.map((m: { name: string }) => m.name), ['trip_model'])
      const v1 = await call(svc.url, 'GET', '/api/v1/models/trip_model/versions/1', { headers: read })
      assert.equal(v1.json.metrics.overall.auc, 0.8)
      assert.equal((await call(svc.url, 'GET', '/api/v1/models/trip_model/versions/2', { headers: read })).status, 404)
      assert.equal((await call(svc.url, 'GET', '/api/v1/models/trip_model/versions/zero', { headers: read })).json.field, 'params.version')

      const denied = await call(svc.url, 'PUT', '/api/v1/models/trip_model/aliases/champion', { body: { version: 1 }, headers: read })
      assert.equal(denied.status, 403)
      const set = await call(svc.url, 'PUT', '/api/v1/models/trip_model/aliases/champion', { body: { version: 1 }, headers: write })
      assert.equal(set.status, 200, set.text)
      const champion = await call(svc.url, 'GET', '/api/v1/models/trip_model/aliases/champion', { headers: read })
      assert.equal(champion.json.version, 1)
      const search = await call(svc.url, 'GET', '/api/v1/model-versions?alias=champion', { headers: read })
      assert.deepEqual(search.json.versions.map((v: { version: number }) => v.version), [1])
      assert.equal((await call(svc.url, 'GET', '/api/v1/model-webhooks', { headers: write })).status, 403, 'webhooks need admin')
    })
  })
}
