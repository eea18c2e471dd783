import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import type { PlannedView, RetrievalPlan } from '../../src/featurestore/index.js'
import { asofKeys } from '../../src/featurestore/retrieval/pit-duckdb.js'
import { ENGINES, openTestDuckDb } from '../helpers/engines.js'
import { buildPitWorld, type ViewFixture } from './pit-fixture.js'

/**
 * DuckDB's ASOF key choice (pit-duckdb.ts): (ts, created) packed into one integer when the
 * source's ranges allow, a struct otherwise, the plain timestamp without a created column.
 * The property test checks results on both packed and struct data; this pins the choice itself
 * and the edges the packing must get right.
 */
const view = (createdColumn?: string): PlannedView => ({
  view: 'v', version: 1, prefix: 'v',
  source: { name: 's', kind: 'duckdb', table: 't', timestamp_field: 'ts', field_mapping: {}, description: '', owner: '', tags: {}, ...(createdColumn ? { created_timestamp_column: createdColumn } : {}) },
  joinKeys: [{ key: 'k', sourceColumn: 'k', entityColumn: 'k' }], keysComparable: true,
  timestampColumn: 'ts', ...(createdColumn ? { createdColumn } : {}), ttlSeconds: 0, filterByCreated: false, features: [],
})
const plan = (v: PlannedView): RetrievalPlan => ({ views: [v], entityColumns: [], entityTimestampColumn: 'ts', outputColumns: [] })

describe('duckdb: ASOF key choice', () => {
  const cases: [string, [string, string | null][], string][] = [
    ['whole seconds pack', [['2024-01-01 00:00:00+00', '2024-01-01 00:00:05+00'], ['2025-01-01 00:00:00+00', null]], 'packed'],
    ['microseconds over a year do not fit', [['2024-01-01 00:00:00.000001+00', '2024-01-01 00:00:00.000001+00'], ['2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00']], 'struct'],
    ['an infinite timestamp takes the struct', [['2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00'], ['-infinity', '2024-01-01 00:00:00+00']], 'struct'],
    ['no rows need no tie-break', [], 'timestamp'],
  ]
  for (const [name, rows, kind] of cases) {
    it(name, async () => {
      const { engine, dispose } = await openTestDuckDb()
      try {
        await engine.execute(sql`create table t (k bigint, ts timestamptz, created timestamptz)`)
        for (const [ts, created] of rows) await engine.execute(sql`insert into t values (1, cast(${ts} as timestamptz), cast(${created} as timestamptz))`)
        const keys = await asofKeys(engine, plan(view('created')), () => sql`t`)
        assert.equal(keys[0]!.kind, kind)
        assert.deepEqual(await asofKeys(engine, plan(view()), () => sql`t`), [{ kind: 'timestamp' }])
      } finally {
        await dispose()
      }
    })
  }
})

describe('duckdb: a packed key meeting a row it does not cover', () => {
  it('reruns the retrieval with the struct key and answers correctly', async () => {
    // The first rows are whole seconds, so the key is packed by the second; the last row is not.
    const rows: Record<string, unknown>[] = Array.from({ length: 3000 }, (_, i) => ({ k: 1, ts: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(), created: null, a: i }))
    rows.push({ k: 1, ts: '2024-01-01T00:00:00.000001Z', created: '2024-01-01T00:00:00Z', a: -1 }, { k: 1, ts: '2024-01-01T00:00:00.000001Z', created: null, a: -2 })
    const fixture: ViewFixture = { name: 'v', entities: ['k'], timestamp_field: 'ts', created_timestamp_column: 'created', features: ['a'], rows, types: { a: 'int64', created: 'timestamp' } }
    const world = await buildPitWorld(ENGINES[0]!, [fixture])
    try {
      const key = (await asofKeys(world.engine, plan(view('created')), () => sql`src_v`))[0]!
      assert.equal(key.kind, 'packed')
      const probes = ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000001Z', '2024-01-01T00:00:01Z']
      const result = await world.store.historical({ features: ['v:a'], timestampColumn: 'ts', entities: { kind: 'rows', rows: probes.map((ts) => ({ k: 1, ts })) } })
      assert.deepEqual(result.rows.map((r) => r.a), [0, -1, 1])
    } finally {
      await world.dispose()
    }
  })
})

describe('duckdb: packed ASOF key at the edges', () => {
  it('created before the event, null created lowest, probes before the first and after the last row', async () => {
    const rows = [
      { k: 1, ts: '2024-01-01T00:00:00Z', created: null, a: 2 },
      { k: 1, ts: '2024-01-01T00:00:00Z', created: '2023-12-31T23:00:00Z', a: 1 },
      { k: 1, ts: '2024-01-01T01:00:00Z', created: null, a: 3 },
      { k: 1, ts: '2024-01-01T01:00:00Z', created: '2024-01-01T00:30:00Z', a: 4 },
      { k: 1, ts: '2024-01-01T01:00:00Z', created: '2024-01-01T00:20:00Z', a: 5 },
    ]
    const fixture: ViewFixture = { name: 'v', entities: ['k'], timestamp_field: 'ts', created_timestamp_column: 'created', features: ['a'], rows, types: { a: 'int64' } }
    const world = await buildPitWorld(ENGINES[0]!, [fixture])
    try {
      assert.equal((await asofKeys(world.engine, plan(view('created')), () => sql`src_v`))[0]!.kind, 'packed')
      const probes = ['2023-12-31T23:59:59.999999Z', '2024-01-01T00:00:00Z', '2024-01-01T00:59:59.999999Z', '2024-01-01T01:00:00Z', '2099-01-01T00:00:00Z', null]
      const result = await world.store.historical({ features: ['v:a'], timestampColumn: 'ts', entities: { kind: 'rows', rows: probes.map((ts) => ({ k: 1, ts })) } })
      assert.deepEqual(result.rows.map((r) => r.a), [null, 1, 1, 4, 4, null])
    } finally {
      await world.dispose()
    }
  })
})
