import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { createLogger } from '../../src/core/index.js'
import { DuckDbEngine, PostgresEngine, type Engine } from '../../src/engines/index.js'
import { openMetadataStore } from '../../src/metadata/index.js'
import { createFeatureStore, createOnlineService, type FeatureStore, type MaterializationGate, type OnlineService } from '../../src/featurestore/index.js'
import { tempDir, type OpenedEngine, type TestEngine } from '../helpers/engines.js'

/** Driver stats with a created-timestamp tie on 2021-01-02, a row after the window, and a composite-key view. */
export const DRIVER_ROWS = [
  [1001, 0.1, 10, '2021-01-01T00:00:00Z', '2021-01-01T00:00:00Z'],
  [1001, 0.2, 20, '2021-01-02T00:00:00Z', '2021-01-02T00:00:00Z'],
  [1001, 0.25, 25, '2021-01-02T00:00:00Z', '2021-01-02T01:00:00Z'],
  [1001, 0.5, 50, '2021-01-05T00:00:00Z', '2021-01-05T00:00:00Z'],
  [1002, 0.3, 30, '2021-01-01T12:00:00.123456Z', null],
  [null, 0.9, 90, '2021-01-01T12:00:00Z', null],
] as const

export const ROUTE_ROWS = [
  [1, 12, 'a', '2021-01-01T00:00:00Z'],
  [11, 2, 'b', '2021-01-01T00:00:00Z'],
] as const

export function repoYaml(kind: 'duckdb' | 'postgres', extraFeature = false): string {
  return `
entities:
  - name: driver
    join_keys: [driver_id]
  - name: route
    join_keys: [origin, dest]
sources:
  - name: driver_stats_source
    kind: ${kind}
    table: driver_stats
    timestamp_field: event_timestamp
    created_timestamp_column: created
    field_mapping: {trips: avg_daily_trips}
  - name: routes_source
    kind: ${kind}
    table: routes
    timestamp_field: ts
feature_views:
  - name: driver_hourly_stats
    entities: [driver]
    ttl: 2d
    source: driver_stats_source
    schema:
      - {name: conv_rate, dtype: float64}
      - {name: avg_daily_trips, dtype: int64}
${extraFeature ? '      - {name: created, dtype: timestamp}\n' : ''}  - name: latest_driver_stat
    entities: []
    source: driver_stats_source
    schema:
      - {name: conv_rate, dtype: float64}
  - name: routes
    entities: [route]
    source: routes_source
    schema:
      - {name: label, dtype: string}
feature_services:
  - name: driver_activity
    features:
      - driver_hourly_stats:conv_rate
      - {view: driver_hourly_stats, features: [avg_daily_trips], alias: stats, join_key_map: {driver_id: other_driver_id}}
`
}

export interface OnlineFixture {
  readonly engine: Engine
  readonly repoDir: string
  readonly featureStore: FeatureStore
  readonly online: OnlineService
  /** Writes the repo files (`extraFeature` changes the driver view's schema: a new version). */
  writeRepo(extraFeature?: boolean): void
  /** A new online service over the same database (a fresh cache), with a pinned clock, optional gate and plan ttl. */
  service(options?: { now?: string; gate?: MaterializationGate; planTtlMs?: number; maxPlans?: number }): OnlineService
  dispose(): Promise<void>
}

/** A feature repo whose sources are tables on the test engine, which also holds metadata and the online store. */
export async function openOnlineFixture(target: TestEngine): Promise<OnlineFixture> {
  const opened: OpenedEngine = await target.open()
  const engine = opened.engine
  const dir = tempDir()
  const duckdb = engine instanceof DuckDbEngine ? engine : await DuckDbEngine.open({ path: ':memory:' })
  const postgres = engine instanceof PostgresEngine ? engine : undefined
  const ts = engine.sqlType({ name: 't', type: 'timestamp' })
  await engine.execute(sql`create table driver_stats (driver_id bigint, conv_rate double precision, trips bigint, event_timestamp ${sql.raw(ts)}, created ${sql.raw(ts)})`)
  await engine.insertRows('driver_stats', [
    { name: 'driver_id', type: 'int64' }, { name: 'conv_rate', type: 'float64' }, { name: 'trips', type: 'int64' },
    { name: 'event_timestamp', type: 'timestamp' }, { name: 'created', type: 'timestamp' },
  ], DRIVER_ROWS.map((r) => [...r]))
  await engine.execute(sql`create table routes (origin bigint, dest bigint, label text, ts ${sql.raw(ts)})`)
  await engine.insertRows('routes', [
    { name: 'origin', type: 'int64' }, { name: 'dest', type: 'int64' }, { name: 'label', type: 'string' }, { name: 'ts', type: 'timestamp' },
  ], ROUTE_ROWS.map((r) => [...r]))
  const metadata = await openMetadataStore(engine)
  const log = createLogger('silent')
  const writeRepo = (extraFeature = false) => {
    writeFileSync(join(dir.dir, 'asof.yaml'), 'project: online_test\n')
    writeFileSync(join(dir.dir, 'repo.yaml'), repoYaml(target.kind, extraFeature))
  }
  writeRepo()
  const featureStore = createFeatureStore({ metadata, duckdb, postgres, repoDir: dir.dir, log })
  const service = (options: { now?: string; gate?: MaterializationGate; planTtlMs?: number; maxPlans?: number } = {}) => createOnlineService({
    featureStore, metadata, log, gate: options.gate, planTtlMs: options.planTtlMs, maxPlans: options.maxPlans,
    ...(options.now ? { now: () => new Date(options.now!) } : {}),
  })
  return {
    engine, repoDir: dir.dir, featureStore, online: service(), writeRepo, service,
    dispose: async () => {
      await featureStore.close()
      if (duckdb !== engine) await duckdb.close()
      await opened.dispose()
      dir.remove()
    },
  }
}
