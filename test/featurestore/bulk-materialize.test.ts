import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { sql } from 'kysely'
import { DuckDbEngine, type ColumnSpec, type Value } from '../../src/engines/index.js'
import { parseTimestampMicros } from '../../src/core/index.js'
import type { StoredFeatureView } from '../../src/featurestore/definitions/feature-view.js'
import { encodeBatchInDuckDb } from '../../src/featurestore/online/duckdb-batch-encoding.js'
import { encodeEntityKey, encodeFeatureValues } from '../../src/featurestore/online/keys.js'

/**
 * The bulk path's promise: DuckDB encodes a batch exactly as the JavaScript path encodes the
 * same rows read into JavaScript (keys, features' JSON text, timestamps), for every type it
 * takes; a type it does not take leaves the batch to the JavaScript path.
 */
describe('duckdb: a batch encoded by DuckDB equals the JavaScript encoding of its rows', () => {
  let engine: DuckDbEngine
  before(async () => { engine = await DuckDbEngine.open({ path: ':memory:' }) })
  after(async () => { await engine?.close() })

  const COLUMNS: ColumnSpec[] = [
    { name: 'k_int', type: 'int64' }, { name: 'k_str', type: 'string' },
    { name: 'f_double', type: 'float64' }, { name: 'f_float', type: 'float32' }, { name: 'f_int', type: 'int64' }, { name: 'f_int32', type: 'int32' },
    { name: 'f_str', type: 'string' }, { name: 'f_bool', type: 'bool' }, { name: 'f_bytes', type: 'bytes' },
    { name: 'ts', type: 'timestamp' }, { name: 'created', type: 'timestamp' },
  ]
  const spec = (keys: string[]) => ({
    name: 'v', join_keys: keys, schema: COLUMNS.slice(2, 9).map((c) => ({ name: c.name, dtype: c.type })),
    source: { name: 's', timestamp_field: 'ts', created_timestamp_column: 'created', field_mapping: {} },
  }) as unknown as StoredFeatureView

  const special = fc.constantFrom(0, -0, 1, -1, 1e21, -1e21, 1e20, 123456789012345680000, 2 ** 53, 2 ** 53 + 2, 1e-7, 1e-6, 5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity, 0.1, 100)
  const double = fc.oneof(fc.double(), special, fc.integer().map((i) => i * 1000))
  const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('a', '"', '\\', '/', '\n', '\u0001', '\u001f', '\u000b', '\u007f', '\u2028', 'é', '😀', '\t', '\b', '\f', '\r', '\u0000') }))
  const micros = fc.bigInt({ min: 0n, max: 253402300799999999n })
  const row = fc.tuple(
    fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.integer()), text,
    fc.option(double), fc.option(double.map((d) => Math.fround(d))), fc.option(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.integer())),
    fc.option(fc.integer()), fc.option(text), fc.option(fc.boolean()), fc.option(fc.uint8Array({ maxLength: 8 })),
    micros, fc.option(micros),
  )

  it('for keys, doubles, floats, integers, strings, booleans, bytes and timestamps', async () => {
    // Doubles travel as text (a bound integral number beyond int64 would be bound as a bigint).
    const RAW = COLUMNS.map((c) => (c.type === 'float64' || c.type === 'float32' ? { ...c, type: 'string' as const } : c))
    await engine.createTable('raw', RAW, { replace: true })
    const asText = (d: number | null) => d === null ? null : Object.is(d, -0) ? '-0.0' : Number.isNaN(d) ? 'nan' : d === Infinity ? 'inf' : d === -Infinity ? '-inf' : String(d)
    await fc.assert(fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), async (rows) => {
      await engine.execute(sql`delete from raw`)
      const iso = (m: bigint | null) => m === null ? null : new Date(Number(m / 1000n)).toISOString().replace('Z', `${String(m % 1000n).padStart(3, '0')}Z`)
      await engine.insertRows('raw', RAW, rows.map((r) => [r[0], r[1], asText(r[2]), asText(r[3]), ...r.slice(4, 9), iso(r[9]), iso(r[10] as bigint | null)] as Value[]))
      await engine.execute(sql`create or replace table t as select * replace (cast(f_double as double) as f_double, cast(f_float as float) as f_float) from raw`)
      for (const keys of [['k_int'], ['k_str'], ['k_int', 'k_str'], []]) {
        const batch = sql`select * from t`
        const encoded = encodeBatchInDuckDb(spec(keys), batch, await engine.describe({ kind: 'query', sql: batch }))
        assert.ok(encoded, 'every column type here has a DuckDB encoding')
        const got = await engine.query<Record<string, Value>>(sql`select * from (${encoded}) order by all`)
        const expected = (await engine.query(batch)).map((r) => ({
          entity_key: encodeEntityKey(keys.map((k) => r[k]!)),
          feature_values: encodeFeatureValues(COLUMNS.slice(2, 9).map((c) => r[c.name]!)),
          event_ts_us: Number(parseTimestampMicros(r.ts as string)),
          created_ts_us: r.created === null ? null : Number(parseTimestampMicros(r.created as string)),
        }))
        const norm = (xs: Record<string, Value>[]) => xs.map((x) => JSON.stringify([x.entity_key, x.feature_values, Number(x.event_ts_us), x.created_ts_us === null ? null : Number(x.created_ts_us)])).sort()
        assert.deepEqual(norm(got), norm(expected))
      }
    }), { numRuns: 60 })
  })

  it('leaves a batch with a type it cannot encode exactly to the JavaScript path', async () => {
    const batch = sql`select 1 as k, [1.5, 2.0] as f, cast('2021-01-01' as timestamptz) as ts, cast(null as timestamptz) as created`
    const view = { ...spec(['k']), schema: [{ name: 'f', dtype: 'list<float64>' }] } as unknown as StoredFeatureView
    assert.equal(encodeBatchInDuckDb(view, batch, await engine.describe({ kind: 'query', sql: batch })), undefined)
  })
})
