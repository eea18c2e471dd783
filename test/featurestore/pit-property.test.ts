import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { formatMicros, parseTimestampMicros } from '../../src/core/index.js'
import { ENGINES } from '../helpers/engines.js'
import { buildPitWorld, canonicalRows, loadTable, type ViewFixture } from './pit-fixture.js'

/**
 * Random small datasets against a brute-force reference of the semantics: visible when
 * `entity_ts − ttl ≤ feature_ts ≤ entity_ts`, latest event timestamp then latest created
 * (null lowest), whole winning row, tuple keys, null keys match nothing, one row per entity row.
 */
const BASE = parseTimestampMicros('2024-01-01T00:00:00Z')
const HOUR = 3_600_000_000n

/**
 * Scenarios whose timestamps are hours 0–2 plus 0 or 1 `unit`: equal timestamps are common and
 * the unit matters. Whole seconds let DuckDB pack (ts, created) into one integer ASOF key,
 * microseconds over this range do not (it falls back to a struct key): both are exercised.
 */
function scenarioOf(unit: bigint) {
  const ts = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 })).map(([h, n]) => formatMicros(BASE + BigInt(h) * HOUR + BigInt(n) * unit))
  // (1,12) and (11,2) must never collide; null keys match nothing.
  const key = fc.constantFrom<number | null>(1, 2, 11, 12, null)

  // Few key pairs, so rows often share keys and timestamps and the tie-breaks decide.
  const keyPair = fc.constantFrom<[number | null, number | null]>([1, 12], [11, 2], [1, 2], [1, null])
  const featureRow = fc.record({
    keys: keyPair,
    ts,
    created: fc.option(ts, { nil: null }),
    a: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
    b: fc.option(fc.constantFrom(0.5, 1.25, -3.75), { nil: null }),
  }).map(({ keys: [k1, k2], ...rest }) => ({ k1, k2, ...rest }))
  const timeRow = fc.record({ ts, g: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null }) })
  const entityRow = fc.record({ keys: fc.oneof(keyPair, fc.tuple(key, key)), event_timestamp: fc.option(ts, { nil: null }), label: fc.integer({ min: 0, max: 1 }) })
    .map(({ keys: [k1, k2], event_timestamp, label }) => ({ k1, k2, event_timestamp, label }))

  return fc.record({
    rows: fc.array(featureRow, { maxLength: 14 }),
    duplicates: fc.array(fc.nat(13), { maxLength: 3 }),
    // Rows sharing another row's keys and event timestamp, so the created tie-break decides.
    ties: fc.array(fc.record({ of: fc.nat(13), created: fc.option(ts, { nil: null }), a: fc.integer({ min: 6, max: 9 }) }), { maxLength: 4 }),
    // Entity rows probing a feature row's keys at its timestamp (inclusive bound) or later.
    probes: fc.array(fc.record({ of: fc.nat(13), laterUs: fc.constantFrom(0n, 1n, HOUR, 2n * HOUR) }), { maxLength: 5 }),
    timeRows: fc.uniqueArray(timeRow, { maxLength: 4, selector: (r) => r.ts }),
    entities: fc.array(entityRow, { minLength: 1, maxLength: 8 }),
    ttl: fc.constantFrom(0, 3600, 7200),
    filterByCreated: fc.boolean(),
  })
}
const scenario = fc.oneof(scenarioOf(1n), scenarioOf(1_000_000n))

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never
type FeatureRow = Scenario['rows'][number]

/** Rows with a unique (keys, ts, created) so the winner is well defined; some repeated identically. */
function featureRows(s: Scenario): FeatureRow[] {
  const unique = new Map<string, FeatureRow>()
  const tied = s.ties.filter((t) => t.of < s.rows.length).map((t) => ({ ...s.rows[t.of]!, created: t.created, a: t.a }))
  for (const r of [...s.rows, ...tied]) unique.set(JSON.stringify([r.k1, r.k2, r.ts, r.created]), r)
  const rows = [...unique.values()]
  return [...rows, ...s.duplicates.filter((i) => i < rows.length).map((i) => ({ ...rows[i]! }))]
}

const micros = (t: string) => parseTimestampMicros(t)

function entityRows(s: Scenario): Scenario['entities'] {
  const probes = s.probes.filter((p) => p.of < s.rows.length).map((p, i) => {
    const r = s.rows[p.of]!
    return { k1: r.k1, k2: r.k2, event_timestamp: formatMicros(micros(r.ts) + p.laterUs), label: i % 2 }
  })
  return [...s.entities, ...probes]
}

function reference(s: Scenario, rows: FeatureRow[]): Record<string, unknown>[] {
  return entityRows(s).map((e) => {
    const et = e.event_timestamp === null ? null : micros(e.event_timestamp)
    const visible = (t: string) => et !== null && micros(t) <= et && (s.ttl === 0 || micros(t) >= et - BigInt(s.ttl) * 1_000_000n)
    const candidates = rows.filter((r) =>
      r.k1 !== null && r.k2 !== null && r.k1 === e.k1 && r.k2 === e.k2 && visible(r.ts) &&
      (!s.filterByCreated || r.created === null || micros(r.created) <= et!))
    const lowest = -(1n << 62n)
    candidates.sort((x, y) => {
      const byTs = micros(y.ts) - micros(x.ts)
      if (byTs !== 0n) return byTs > 0n ? 1 : -1
      const cx = x.created === null ? lowest : micros(x.created)
      const cy = y.created === null ? lowest : micros(y.created)
      return cy === cx ? 0 : cy > cx ? 1 : -1
    })
    const win = candidates[0]
    const timeWin = s.timeRows.filter((r) => visible(r.ts)).sort((x, y) => (micros(y.ts) > micros(x.ts) ? 1 : -1))[0]
    return { ...e, a: win?.a ?? null, b: win?.b ?? null, g: timeWin?.g ?? null }
  })
}

for (const testEngine of ENGINES) {
  describe(`${testEngine.kind}: point-in-time property`, { skip: testEngine.skip }, () => {
    it('matches a brute-force reference on random small datasets', async () => {
      // One applied repo per engine; each run replaces the source tables' rows.
      // The ttl is part of a view's definition, so there is one pair of views per ttl.
      const TTLS = [0, 3600, 7200]
      const views = (s: Scenario, rows: FeatureRow[], ttl: number): ViewFixture[] => [
          {
            name: `stats_${ttl}`, entities: ['k1', 'k2'], ttl_seconds: ttl, timestamp_field: 'ts', created_timestamp_column: 'created',
            features: ['a', 'b'], rows, types: { k1: 'int64', k2: 'int64', ts: 'timestamp', created: 'timestamp', a: 'int64', b: 'float64' },
          },
          {
            name: `global_${ttl}`, entities: [], ttl_seconds: ttl, timestamp_field: 'ts', features: ['g'], rows: s.timeRows,
            types: { ts: 'timestamp', g: 'int64' },
          },
      ]
      const empty: Scenario = { rows: [], duplicates: [], ties: [], probes: [], timeRows: [], entities: [], ttl: 0, filterByCreated: false }
      const world = await buildPitWorld(testEngine, TTLS.flatMap((ttl) => views(empty, [], ttl)))
      try {
        await fc.assert(fc.asyncProperty(scenario, async (s) => {
          const rows = featureRows(s)
          for (const v of views(s, rows, s.ttl)) await loadTable(world.engine, `src_${v.name}`, v)
          const result = await world.store.historical({
            features: [`stats_${s.ttl}:a`, `stats_${s.ttl}:b`, `global_${s.ttl}:g`],
            filterByCreatedTimestamp: s.filterByCreated,
            entities: { kind: 'rows', rows: entityRows(s) },
          })
          assert.deepEqual(result.columns.map((c) => c.name), ['k1', 'k2', 'event_timestamp', 'label', 'a', 'b', 'g'])
          // Output keeps entity-row order, so compare row by row.
          const expected = reference(s, rows)
          assert.deepEqual(result.rows.map((r) => canonicalRows([r], ['event_timestamp'])[0]), expected.map((r) => canonicalRows([r], ['event_timestamp'])[0]))
        }), { numRuns: 60, seed: Number(process.env.ASOF_TEST_SEED ?? Date.now() % 1e9) })
      } finally {
        await world.dispose()
      }
    })
  })
}
