import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger, isAsofError } from '../../src/core/index.js'
import { DuckDbEngine, sql } from '../../src/engines/index.js'
import { openMetadataStore } from '../../src/metadata/index.js'
import { createFeatureStore, type FeatureStore } from '../../src/featurestore/index.js'
import { ENGINES, tempDir } from '../helpers/engines.js'

const defs = (table: string, extra = '') => `
entities: [{name: driver, join_keys: [driver_id]}]
sources: [{name: stats, kind: duckdb, table: ${table}, timestamp_field: ts}]
feature_views:
  - {name: driver_stats, entities: [driver], source: stats, schema: [{name: rate, dtype: float64}]}
${extra}`

/**
 * A repo in a temp dir whose defs read the DuckDB table stats_a (one row, rate 0.25), with the
 * metadata on the engine under test and sources always on DuckDB; not applied yet.
 */
async function withRegistryRepo(
  testEngine: (typeof ENGINES)[number], initialDefs: string,
  fn: (repo: { dir: string; duckdb: DuckDbEngine; store: FeatureStore }) => Promise<void>,
): Promise<void> {
  const t = tempDir('asof-registry-')
  const opened = await testEngine.open()
  const duckdb = await DuckDbEngine.open({ path: join(t.dir, 'data.duckdb') })
  try {
    await duckdb.execute(sql`create table stats_a as select 1::bigint as driver_id, timestamptz '2024-01-01 00:00:00+00' as ts, 0.25::double as rate`)
    writeFileSync(join(t.dir, 'asof.yaml'), 'project: reg\n')
    writeFileSync(join(t.dir, 'defs.yaml'), initialDefs)
    const metadata = await openMetadataStore(opened.engine)
    await fn({ dir: t.dir, duckdb, store: createFeatureStore({ metadata, duckdb, repoDir: t.dir, log: createLogger('silent') }) })
  } finally {
    await duckdb.close()
    await opened.dispose()
    t.remove()
  }
}

for (const testEngine of ENGINES) {
  describe(`${testEngine.kind} metadata: registry plan and apply`, { skip: testEngine.skip }, () => {
    it('versions a view when its source changes, keeps pinned versions reading the old source, and applies all or nothing', async () => {
      await withRegistryRepo(testEngine, defs('stats_a'), async ({ dir, duckdb, store }) => {
        await duckdb.execute(sql`create table stats_b as select 1::bigint as driver_id, timestamptz '2024-01-01 00:00:00+00' as ts, 0.75::double as rate`)
        assert.deepEqual((await store.apply()).entries.map((e) => [e.kind, e.action, e.version]),
          [['entity', 'create', 1], ['source', 'create', 1], ['feature_view', 'create', 1]])

        writeFileSync(join(dir, 'defs.yaml'), defs('stats_b'))
        const plan = await store.plan()
        const view = plan.entries.find((e) => e.kind === 'feature_view')!
        assert.deepEqual([view.action, view.currentVersion, view.newVersion, view.changedFields], ['change', 1, 2, ['source']])
        await store.apply()

        const entities = { kind: 'rows' as const, rows: [{ driver_id: 1, event_timestamp: '2024-01-02T00:00:00Z' }] }
        const pinned = await store.historical({ features: ['driver_stats@1:rate'], entities })
        const current = await store.historical({ features: ['driver_stats:rate'], entities })
        assert.equal(pinned.rows[0]!.rate, 0.25)
        assert.equal(current.rows[0]!.rate, 0.75)
        assert.equal((await store.resolveFeatureView('driver_stats', 1)).relation.kind, 'table')
        assert.deepEqual((await store.listVersions('feature_view', 'driver_stats')).map((v) => v.version), [1, 2])

        // A service pinned to a version that does not exist fails the plan: nothing of this apply is written.
        writeFileSync(join(dir, 'defs.yaml'), defs('stats_a', 'feature_services: [{name: svc, features: ["driver_stats@9:rate"]}]'))
        await assert.rejects(store.apply(), /unknown feature view version "driver_stats@9"; known: driver_stats@1, driver_stats@2/)
        assert.deepEqual((await store.listObjects()).map((o) => [o.kind, o.name, o.currentVersion]),
          [['entity', 'driver', 1], ['feature_view', 'driver_stats', 2], ['source', 'stats', 2]])

        // An unreadable source is a bad input naming the source.
        writeFileSync(join(dir, 'defs.yaml'), defs('stats_a').replace('kind: duckdb, table: stats_a', 'kind: file, path: data/missing.parquet'))
        await store.apply()
        await assert.rejects(store.historical({ features: ['driver_stats:rate'], entities }), (e) =>
          isAsofError(e) && e.kind === 'bad_input' && /cannot read source "stats": .*missing\.parquet/.test(e.message))
      })
    })

    it('changes annotations in place without a new version, and deletes objects the repo no longer defines while their versions stay readable', async () => {
      const service = 'feature_services: [{name: svc, features: ["driver_stats:rate"]}]'
      await withRegistryRepo(testEngine, defs('stats_a', service), async ({ dir, store }) => {
        await store.apply()

        // Description, owner and tags (of the view, a feature and the source) are annotations: no new version.
        const annotatedDefs = (extra = '') => defs('stats_a', extra)
          .replace('source: stats, schema: [{name: rate, dtype: float64}]', 'source: stats, owner: ml, tags: {team: a}, schema: [{name: rate, dtype: float64, description: the rate}]')
          .replace('timestamp_field: ts}', 'timestamp_field: ts, description: hourly}')
        writeFileSync(join(dir, 'defs.yaml'), annotatedDefs(service))
        const annotated = await store.apply()
        const rows = (p: typeof annotated) => p.entries.map((e) => [e.kind, e.name, e.action, e.currentVersion, e.newVersion, e.version])
        assert.deepEqual(rows(annotated), [
          ['entity', 'driver', 'unchanged', 1, undefined, 1], ['source', 'stats', 'change', 1, undefined, 1],
          ['feature_view', 'driver_stats', 'change', 1, undefined, 1], ['feature_service', 'svc', 'unchanged', 1, undefined, 1],
        ])
        assert.deepEqual(annotated.entries.find((e) => e.kind === 'feature_view')!.changedFields, ['owner', 'schema', 'source', 'tags'])
        const view = await store.getObject('feature_view', 'driver_stats')
        assert.equal(view.version, 1)
        assert.deepEqual([view.spec.owner, view.spec.tags], ['ml', { team: 'a' }])
        assert.equal((await store.plan()).entries.every((e) => e.action === 'unchanged'), true)

        // The service leaves the repo: plan shows delete, apply removes it; its version stays readable.
        writeFileSync(join(dir, 'defs.yaml'), annotatedDefs())
        const deleting = await store.plan()
        assert.deepEqual(deleting.entries.filter((e) => e.action !== 'unchanged').map((e) => [e.kind, e.name, e.action, e.currentVersion]), [['feature_service', 'svc', 'delete', 1]])
        await store.apply()
        assert.deepEqual((await store.listObjects('feature_service')).map((o) => o.name), [])
        assert.equal((await store.getObject('feature_service', 'svc', 1)).version, 1)
        await assert.rejects(store.getObject('feature_service', 'svc'), /unknown feature service "svc"/)
        // Coming back, it continues its numbering.
        writeFileSync(join(dir, 'defs.yaml'), annotatedDefs(service))
        assert.deepEqual((await store.apply()).entries.find((e) => e.kind === 'feature_service')!.version, 2)
      })
    })
  })
}
