import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { isAsofError } from '../../src/core/index.js'
import { ENGINES } from '../helpers/engines.js'
import { openOnlineFixture, type OnlineFixture } from './online-fixture.js'

const NOW = '2021-01-03T00:00:00Z'

for (const target of ENGINES) {
  describe(`${target.kind}: materialization and online reads`, { skip: target.skip }, () => {
    let fx: OnlineFixture
    before(async () => {
      fx = await openOnlineFixture(target)
      await fx.featureStore.apply()
    })
    after(async () => { await fx?.dispose() })

    const read = (entities: Record<string, unknown[]>, features = ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'], now = NOW) =>
      fx.service({ now }).getOnlineFeatures({ features, entities })

    it('refuses a batch the gate fails and writes nothing', async () => {
      let batchRows = -1
      const gated = fx.service({
        gate: async ({ view, version, relation, engine }) => {
          batchRows = (await engine.query(sql`select * from ${engine.from(relation)} as batch`)).length
          return { success: view !== 'driver_hourly_stats', resultId: `result-${view}@${version}`, message: 'conv_rate out of range' }
        },
      })
      await assert.rejects(gated.materialize('2021-01-01', '2021-01-03T00:00:00Z', ['driver_hourly_stats']), (e) => {
        assert.ok(isAsofError(e))
        assert.equal(e.code, 'ASOF_GATE_FAILED')
        assert.match(e.message, /driver_hourly_stats@1 \(conv_rate out of range\)/)
        return true
      })
      assert.equal(batchRows, 2) // the gate saw the batch: one row per driver
      const response = await read({ driver_id: [1001, 1002] })
      assert.deepEqual(response.results[1]!.statuses, ['NOT_FOUND', 'NOT_FOUND'])
      const [run] = await fx.online.listRuns({ view: 'driver_hourly_stats' })
      assert.equal(run!.status, 'refused')
      assert.equal(run!.validation_result_id, 'result-driver_hourly_stats@1')
    })

    it('writes the latest row per entity in the window, ties broken by created timestamp, in Feast\'s response shape', async () => {
      const report = await fx.online.materialize('2021-01-01T00:00:00Z', '2021-01-03T00:00:00+00:00')
      assert.deepEqual(report.views.map((v) => [v.view, v.version, v.rowsRead, v.status]), [
        ['driver_hourly_stats', 1, 2, 'succeeded'], ['latest_driver_stat', 1, 1, 'succeeded'], ['routes', 1, 2, 'succeeded'],
      ])
      const response = await read({ driver_id: [1001, 1002, 1004, '1001', null] })
      assert.deepEqual(response.metadata.feature_names, ['driver_id', 'conv_rate', 'avg_daily_trips'])
      assert.deepEqual(response.results[0], {
        values: [1001, 1002, 1004, '1001', null],
        statuses: ['PRESENT', 'PRESENT', 'PRESENT', 'PRESENT', 'PRESENT'],
        event_timestamps: Array(5).fill('1970-01-01T00:00:00Z'),
      })
      assert.deepEqual(response.results[1], {
        values: [0.25, 0.3, null, null, null],
        statuses: ['PRESENT', 'PRESENT', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
        event_timestamps: ['2021-01-02T00:00:00Z', '2021-01-01T12:00:00.123456Z', '1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z'],
      })
      assert.deepEqual(response.results[2]!.values, [25, 30, null, null, null])
    })

    it('answers OUTSIDE_MAX_AGE when now − event_timestamp > ttl, and PRESENT at exactly ttl', async () => {
      const edge = await read({ driver_id: [1001] }, undefined, '2021-01-04T00:00:00Z')
      assert.deepEqual(edge.results[1]!.statuses, ['PRESENT'])
      const late = await read({ driver_id: [1001, 1002] }, undefined, '2021-01-04T00:00:00.001Z')
      assert.deepEqual(late.results[1]!.statuses, ['OUTSIDE_MAX_AGE', 'OUTSIDE_MAX_AGE'])
      assert.deepEqual(late.results[1]!.values, [0.25, 0.3])
    })

    it('never replaces a newer value with an older one, and is idempotent', async () => {
      await fx.online.materialize('2021-01-01T00:00:00Z', '2021-01-01T06:00:00Z', ['driver_hourly_stats'])
      await fx.online.materialize('2021-01-01T00:00:00Z', '2021-01-03T00:00:00Z', ['driver_hourly_stats'])
      const response = await read({ driver_id: [1001, 1002] })
      assert.deepEqual(response.results[1]!.values, [0.25, 0.3])
    })

    it('keeps a watermark per view for incremental runs', async () => {
      const report = await fx.online.materializeIncremental('2021-01-06T00:00:00Z', ['driver_hourly_stats'])
      assert.deepEqual(report.views.map((v) => [v.start, v.end, v.rowsRead]), [['2021-01-03T00:00:00Z', '2021-01-06T00:00:00Z', 1]])
      const response = await read({ driver_id: [1001, 1002] }, undefined, '2021-01-06T00:00:00Z')
      assert.deepEqual(response.results[1]!.values, [0.5, 0.3])
      assert.deepEqual(response.results[1]!.statuses, ['PRESENT', 'OUTSIDE_MAX_AGE'])
      // without a watermark a view starts at end − ttl (routes has no ttl: from the beginning)
      const routes = await fx.service().materializeIncremental('2021-01-06T00:00:00Z', ['routes'])
      assert.equal(routes.views[0]!.start, '2021-01-03T00:00:00Z') // its watermark from the full run above
    })

    it('serves a view without entities (its latest row) to every entity row', async () => {
      const response = await read({ driver_id: [1001, 7] }, ['latest_driver_stat:conv_rate'])
      assert.deepEqual(response.metadata.feature_names, ['driver_id', 'conv_rate'])
      assert.deepEqual(response.results[1]!.values, [0.25, 0.25])
    })

    it('lists features in request order, across views', async () => {
      const response = await fx.online.getOnlineFeatures({
        features: ['driver_hourly_stats:avg_daily_trips', 'latest_driver_stat:conv_rate', 'driver_hourly_stats:conv_rate'],
        entities: { driver_id: [1002] }, full_feature_names: true,
      })
      assert.deepEqual(response.metadata.feature_names, ['driver_id', 'driver_hourly_stats__avg_daily_trips', 'latest_driver_stat__conv_rate', 'driver_hourly_stats__conv_rate'])
      assert.deepEqual(response.results.map((r) => r.values[0]), [1002, 30, 0.25, 0.3])
    })

    it('matches composite keys as tuples', async () => {
      const response = await fx.online.getOnlineFeatures({ features: ['routes:label'], entities: { origin: [1, 11, 1], dest: [12, 2, 2] } })
      assert.deepEqual(response.metadata.feature_names, ['origin', 'dest', 'label'])
      assert.deepEqual(response.results[2]!.values, ['a', 'b', null])
    })

    it('serves feature services with aliases, join_key_map and full feature names', async () => {
      const response = await fx.service({ now: NOW }).getOnlineFeatures({
        feature_service: 'driver_activity', entities: { driver_id: [1001], other_driver_id: [1002] }, full_feature_names: true,
      })
      assert.deepEqual(response.metadata.feature_names, ['driver_id', 'other_driver_id', 'driver_hourly_stats__conv_rate', 'stats__avg_daily_trips'])
      assert.deepEqual(response.results.map((r) => r.values[0]), [1001, 1002, 0.5, 30])
    })

    it('rejects unknown views and features and missing join keys with one clear message', async () => {
      await assert.rejects(read({ driver_id: [1] }, ['nope:conv_rate']), /unknown feature view "nope"; known: driver_hourly_stats, latest_driver_stat, routes/)
      await assert.rejects(read({ driver_id: [1] }, ['driver_hourly_stats:nope']), /unknown feature.*"nope".*known: conv_rate, avg_daily_trips/)
      await assert.rejects(read({ rider: [1] }), /no join-key column "driver_id"/)
      await assert.rejects(fx.online.getOnlineFeatures({ entities: { driver_id: [1] } }), /exactly one of features or feature_service/)
    })

    it('reads pinned versions after a schema change creates version 2', async () => {
      fx.writeRepo(true)
      const plan = await fx.featureStore.apply()
      assert.ok(plan)
      const service = fx.service({ now: NOW })
      const response = await service.getOnlineFeatures({ features: ['driver_hourly_stats@1:conv_rate', 'driver_hourly_stats:created'], entities: { driver_id: [1001] } })
      assert.deepEqual(response.metadata.feature_names, ['driver_id', 'conv_rate', 'created'])
      assert.deepEqual(response.results.slice(1).map((r) => r.statuses[0]), ['PRESENT', 'NOT_FOUND'])
      await service.materialize('2021-01-01T00:00:00Z', '2021-01-03T00:00:00Z', ['driver_hourly_stats'])
      const after = await service.getOnlineFeatures({ features: ['driver_hourly_stats:created', 'driver_hourly_stats@1:conv_rate'], entities: { driver_id: [1001] } })
      assert.deepEqual(after.results.slice(1).map((r) => r.values[0]), ['2021-01-02T01:00:00Z', 0.5])
      fx.writeRepo(false)
    })

    it('pushes rows to the current versions online (newer wins) and to the source table', async () => {
      const service = fx.service({ now: '2021-01-07T00:00:00Z' })
      const result = await service.push({
        push_source_name: 'driver_stats_source',
        df: { driver_id: [1002, 1002], conv_rate: [0.7, 0.8], trips: [70, 80], event_timestamp: ['2021-01-06T00:00:00Z', '2021-01-05T00:00:00Z'], created: [null, null] },
        to: 'online_and_offline',
      })
      assert.equal(result.offline, 2)
      const response = await service.getOnlineFeatures({ features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'], entities: { driver_id: [1002] } })
      assert.deepEqual(response.results.slice(1).map((r) => r.values[0]), [0.7, 70])
      await assert.rejects(service.push({ push_source_name: 'driver_stats_source', df: { driver_id: [1], bogus: [1] }, to: 'offline' }), /has no column bogus/)
      await assert.rejects(service.push({ push_source_name: 'nope', df: {} }), /unknown source "nope"/)
      await assert.rejects(service.push({
        push_source_name: 'driver_stats_source',
        df: { driver_id: [1002], conv_rate: ['high'], trips: [1], event_timestamp: ['2021-01-08T00:00:00Z'], created: [null] },
      }), /df\.conv_rate\[0\]: expected a float64 value, got "high"/)
      const unchanged = await service.getOnlineFeatures({ features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1002] } })
      assert.deepEqual(unchanged.results[1]!.values, [0.7])
    })

    it('preloads every online view version ahead of the first request (embedded), so the request fills nothing', async () => {
      const service = fx.service({ now: NOW })
      const refs = await service.preload()
      assert.deepEqual(refs.map((r) => r.view).sort(), ['driver_hourly_stats', 'latest_driver_stat', 'routes'])
      const afterPreload = service.cacheStats().fills
      // Server mode's cache fills by key: nothing is loaded ahead.
      assert.equal(afterPreload, target.kind === 'duckdb' ? refs.length : 0)
      const r = await service.getOnlineFeatures({ features: ['driver_hourly_stats:conv_rate', 'routes:label'], entities: { driver_id: [1001], origin: [1], dest: [2] } })
      assert.equal(r.results[1]!.statuses[0], 'PRESENT')
      if (target.kind === 'duckdb') assert.equal(service.cacheStats().fills, afterPreload)
    })

    it('tells apart request shapes that differ only inside their feature lists', async () => {
      const service = fx.service({ now: NOW })
      const entities = { driver_id: [1001], origin: [1], dest: [2] }
      const names = async (middle: string, columns: Record<string, number[]> = entities) => (await service.getOnlineFeatures({
        features: ['driver_hourly_stats:conv_rate', middle, 'latest_driver_stat:conv_rate'], full_feature_names: true, entities: columns,
      })).metadata.feature_names
      // Same length, first and last feature: one cache bucket, several plans.
      const trips = ['driver_id', 'origin', 'dest', 'driver_hourly_stats__conv_rate', 'driver_hourly_stats__avg_daily_trips', 'latest_driver_stat__conv_rate']
      assert.deepEqual(await names('driver_hourly_stats:avg_daily_trips'), trips)
      assert.deepEqual(await names('routes:label'), ['driver_id', 'origin', 'dest', 'driver_hourly_stats__conv_rate', 'routes__label', 'latest_driver_stat__conv_rate'])
      assert.deepEqual(await names('driver_hourly_stats:avg_daily_trips', { ...entities, extra: [1] }), [...trips.slice(0, 3), 'extra', ...trips.slice(3)])
      assert.deepEqual(await names('driver_hourly_stats:avg_daily_trips'), trips)
    })

    it('keeps answering a known request shape while its expired plan is refreshed in the background', async () => {
      fx.writeRepo(true)
      await fx.featureStore.apply()
      const service = fx.service({ now: NOW, planTtlMs: 0 })
      const ask = () => service.getOnlineFeatures({ features: ['driver_hourly_stats:created'], entities: { driver_id: [1001] } })
      await ask()
      fx.writeRepo(false) // the current version no longer has `created`
      await fx.featureStore.apply()
      // The expired plan answers at once; its refresh, running meanwhile, finds the feature gone.
      assert.deepEqual((await ask()).metadata.feature_names, ['driver_id', 'created'])
      const deadline = Date.now() + 5000
      for (;;) {
        const refused = await ask().then(() => false, (e: Error) => /created/.test(e.message))
        if (refused) break
        assert.ok(Date.now() < deadline, 'the refreshed plan never replaced the expired one')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    })

    it('forgets every kept plan past maxPlans, so the next request of a shape is planned afresh', async () => {
      fx.writeRepo(true)
      await fx.featureStore.apply()
      const service = fx.service({ now: NOW, planTtlMs: 3_600_000, maxPlans: 2 })
      const ask = (feature: string) => service.getOnlineFeatures({ features: [feature], entities: { driver_id: [1001] } })
      await ask('driver_hourly_stats:created')
      fx.writeRepo(false) // the current version no longer has `created`
      await fx.featureStore.apply()
      // Within its ttl the kept plan still answers.
      assert.deepEqual((await ask('driver_hourly_stats:created')).metadata.feature_names, ['driver_id', 'created'])
      await ask('driver_hourly_stats:conv_rate') // two shapes kept
      await ask('latest_driver_stat:conv_rate') // a third: every kept plan is forgotten first
      await assert.rejects(ask('driver_hourly_stats:created'), /created/)
    })
  })
}
