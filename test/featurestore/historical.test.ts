import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isAsofError } from '../../src/core/index.js'
import type { RetrievalRequest } from '../../src/featurestore/index.js'
import { join } from 'node:path'
import { DuckDbEngine, sql } from '../../src/engines/index.js'
import { ENGINES, tempDir } from '../helpers/engines.js'
import { buildPitWorld, type ViewFixture } from './pit-fixture.js'

const trips: ViewFixture = {
  name: 'trips', entities: ['location_id'], timestamp_field: 'ts', features: ['pickups'],
  field_mapping: { loc: 'location_id', n_pickups: 'pickups' },
  rows: [
    { loc: 1, ts: '2024-01-01T00:00:00Z', n_pickups: 10 },
    { loc: 2, ts: '2024-01-01T00:00:00Z', n_pickups: 20 },
  ],
}
const drivers: ViewFixture = {
  name: 'drivers', entities: ['driver_id'], timestamp_field: 'ts', features: ['rating'],
  rows: [{ driver_id: 1, ts: '2024-01-01T00:00:00Z', rating: 4.5 }],
}

const rows = (entityRows: Record<string, unknown>[]): RetrievalRequest['entities'] => ({ kind: 'rows', rows: entityRows })

for (const testEngine of ENGINES) {
  describe(`${testEngine.kind}: historical retrieval`, { skip: testEngine.skip }, () => {
    it('joins one view twice through join_key_map and aliases (origin and destination), after field_mapping', async () => {
      const world = await buildPitWorld(testEngine, [trips], {
        name: 'route',
        entries: [
          { view: 'trips', alias: 'origin', join_key_map: { location_id: 'origin_id' } },
          { view: 'trips', alias: 'destination', join_key_map: { location_id: 'destination_id' } },
        ],
      })
      try {
        const result = await world.store.historical({
          featureService: 'route', fullFeatureNames: true,
          entities: rows([{ origin_id: 1, destination_id: 2, event_timestamp: '2024-01-02T00:00:00Z' }, { origin_id: 2, destination_id: 3, event_timestamp: '2024-01-02T00:00:00Z' }]),
        })
        assert.deepEqual(result.columns.map((c) => c.name), ['origin_id', 'destination_id', 'event_timestamp', 'origin__pickups', 'destination__pickups'])
        assert.deepEqual(result.rows.map((r) => [r.origin__pickups, r.destination__pickups]), [[10, 20], [20, null]])
        // Without full names both entries produce "pickups".
        await assert.rejects(world.store.historical({ featureService: 'route', entities: rows([{ origin_id: 1, destination_id: 2, event_timestamp: '2024-01-02T00:00:00Z' }]) }),
          /both produce the column "pickups"/)
      } finally {
        await world.dispose()
      }
    })

    it('reads a view through its transformation: a SELECT over `source`, which may have its own WITH', async () => {
      const doubled: ViewFixture = {
        name: 'doubled', entities: ['driver_id'], timestamp_field: 'ts', features: ['rating_x2'],
        transformation: 'WITH rated AS (SELECT * FROM source WHERE rating IS NOT NULL) SELECT driver_id, ts, rating * 2 AS rating_x2 FROM rated;',
        rows: [
          { driver_id: 1, ts: '2024-01-01T00:00:00Z', rating: 4.5 },
          { driver_id: 1, ts: '2024-01-03T00:00:00Z', rating: null },
        ],
      }
      const world = await buildPitWorld(testEngine, [doubled])
      try {
        const result = await world.store.historical({ features: ['doubled:rating_x2'], entities: rows([{ driver_id: 1, event_timestamp: '2024-01-04T00:00:00Z' }]) })
        // The null-rated row is filtered out by the transformation, so the older row wins.
        assert.equal(result.rows[0]!.rating_x2, 9)
        const resolved = await world.store.resolveFeatureView('doubled')
        const [count] = await resolved.engine.query<{ n: number | bigint }>(sql`select count(*) as n from ${resolved.engine.from(resolved.relation)} as t`)
        assert.equal(Number(count!.n), 1)
      } finally {
        await world.dispose()
      }
    })

    it('matches join keys by value and type: the string "1" is not the number 1', async () => {
      const world = await buildPitWorld(testEngine, [drivers])
      try {
        const asStrings = await world.store.historical({ features: ['drivers:rating'], entities: rows([{ driver_id: '1', event_timestamp: '2024-01-02T00:00:00Z' }]) })
        assert.deepEqual(asStrings.rows, [{ driver_id: '1', event_timestamp: '2024-01-02T00:00:00Z', rating: null }])
        const asNumbers = await world.store.historical({ features: ['drivers:rating'], entities: rows([{ driver_id: 1, event_timestamp: '2024-01-02T00:00:00Z' }]) })
        assert.equal(asNumbers.rows[0]!.rating, 4.5)
      } finally {
        await world.dispose()
      }
    })

    it('reads entity rows from Parquet and CSV files (microseconds, empty strings and nulls kept), with the timestamp column named by the request', async () => {
      const world = await buildPitWorld(testEngine, [drivers])
      const t = tempDir('asof-entities-')
      const duckdb = await DuckDbEngine.open({ path: ':memory:' })
      try {
        const rowsSql = sql`select * from (values (1::bigint, timestamptz '2024-01-02 00:00:00+00', 'a'), (2::bigint, timestamptz '2024-01-02 00:00:00+00', 'b'), (1::bigint, timestamptz '2023-12-31 00:00:00+00', 'c'), (1::bigint, timestamptz '2024-01-02 00:00:00.000001+00', ''), (1::bigint, timestamptz '2024-01-02 00:00:00.000002+00', null)) v(driver_id, seen_at, tag)`
        for (const ext of ['parquet', 'csv']) {
          const path = join(t.dir, `entities.${ext}`)
          await duckdb.execute(sql`copy (${rowsSql}) to ${path} (format ${sql.lit(ext)})`)
          const result = await world.store.historical({ features: ['drivers:rating'], timestampColumn: 'seen_at', entities: { kind: 'file', path } })
          assert.deepEqual(result.columns.map((c) => c.name), ['driver_id', 'seen_at', 'tag', 'rating'], ext)
          assert.deepEqual(result.rows.map((r) => [r.tag, r.seen_at, r.rating]), [
            ['a', '2024-01-02T00:00:00Z', 4.5], ['b', '2024-01-02T00:00:00Z', null], ['c', '2023-12-31T00:00:00Z', null],
            // DuckDB's CSV reader reads an empty quoted field as null.
            [ext === 'csv' ? null : '', '2024-01-02T00:00:00.000001Z', 4.5], [null, '2024-01-02T00:00:00.000002Z', 4.5],
          ], ext)
        }
      } finally {
        await duckdb.close()
        t.remove()
        await world.dispose()
      }
    })

    it('returns a large entity file\'s rows once each in input order (several row groups; DuckDB sorts only features back and joins by position)', async () => {
      const world = await buildPitWorld(testEngine, [drivers])
      const t = tempDir('asof-entities-')
      const duckdb = await DuckDbEngine.open({ path: ':memory:' })
      try {
        // Keys interleaved, so the join's output order differs from the input's. PostgreSQL's
        // output passes through JavaScript, so it gets fewer rows (still several row groups).
        const n = testEngine.kind === 'duckdb' ? 200_000 : 10_000
        const path = join(t.dir, 'entities.parquet')
        await duckdb.execute(sql`copy (select range as seq, range % 3 as driver_id, timestamptz '2024-01-02 00:00:00+00' as event_timestamp from range(${n}))
          to ${path} (format parquet, row_group_size ${sql.lit(Math.ceil(n / 7))})`)
        const output = join(t.dir, 'out.parquet')
        const written = await world.store.writeHistorical({ features: ['drivers:rating'], entities: { kind: 'file', path } }, output)
        assert.equal(written.rows, n)
        const [check] = await duckdb.query<{ misplaced: number | bigint; wrong: number | bigint }>(sql`select
            count(*) filter (where seq <> n - 1) as misplaced,
            count(*) filter (where rating is distinct from case when driver_id = 1 then 4.5 end) as wrong
          from (select *, row_number() over () as n from read_parquet(${output}))`)
        assert.deepEqual([Number(check!.misplaced), Number(check!.wrong)], [0, 0])
      } finally {
        await duckdb.close()
        t.remove()
        await world.dispose()
      }
    })

    it('casts features to their declared dtype', async () => {
      const typed: ViewFixture = {
        name: 'typed', entities: ['driver_id'], timestamp_field: 'ts', features: ['trips', 'rate', 'flag'],
        rows: [{ driver_id: 1, ts: '2024-01-01T00:00:00Z', trips: 3, rate: 0.5, flag: 1 }],
        types: { trips: 'int32', rate: 'float64', flag: 'int32' }, dtypes: { trips: 'int64', rate: 'float32', flag: 'bool' },
      }
      const world = await buildPitWorld(testEngine, [typed])
      try {
        const result = await world.store.historical({ features: ['typed:trips', 'typed:rate', 'typed:flag'], entities: rows([{ driver_id: 1, event_timestamp: '2024-01-02T00:00:00Z' }]) })
        assert.deepEqual(result.columns.slice(2).map((c) => [c.name, c.type]), [['trips', 'int64'], ['rate', 'float32'], ['flag', 'bool']])
        assert.deepEqual([result.rows[0]!.trips, result.rows[0]!.rate, result.rows[0]!.flag], [3, 0.5, true])
      } finally {
        await world.dispose()
      }
    })

    it('rejects bad requests with one bad-input message naming the problem', async () => {
      const world = await buildPitWorld(testEngine, [drivers])
      const entity = { driver_id: 1, event_timestamp: '2024-01-02T00:00:00Z' }
      const cases: [Partial<RetrievalRequest>, RegExp][] = [
        [{ features: ['nope:rating'] }, /unknown feature view "nope"; known: drivers/],
        [{ features: ['drivers:nope'] }, /unknown feature "nope" of view drivers@1; known: rating/],
        [{ features: ['drivers@7:rating'] }, /unknown version of feature view drivers "7"; known: 1/],
        [{ features: ['drivers:rating'], timestampColumn: 'ts' }, /no timestamp column "ts"/],
        [{ features: ['drivers:rating'], entities: rows([{ event_timestamp: '2024-01-02T00:00:00Z' }]) }, /no join-key column "driver_id"/],
        [{ features: ['drivers:rating'], entities: rows([{ ...entity, rating: 1 }]) }, /feature drivers:rating and entity column rating both produce the column "rating"/],
        [{ features: ['drivers:rating'], entities: rows([entity, { driver_id: 'x', event_timestamp: '2024-01-02T00:00:00Z' }]) }, /column driver_id: mixes values of type int64 and string/],
        [{ features: ['drivers:rating'], entities: rows([{ driver_id: 1, event_timestamp: 'yesterday' }]) }, /expected an ISO-8601 timestamp/],
        [{ features: ['drivers-rating'] }, /expected view:feature/],
        [{ featureService: 'nope' }, /unknown feature service "nope"/],
      ]
      try {
        for (const [request, message] of cases) {
          await assert.rejects(world.store.historical({ entities: rows([entity]), ...request }), (e) => {
            assert.ok(isAsofError(e) && e.kind === 'bad_input', String(e))
            assert.match(e.message, message)
            return true
          })
        }
      } finally {
        await world.dispose()
      }
    })
  })
}
