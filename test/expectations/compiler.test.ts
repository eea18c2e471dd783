import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { PostgresEngine, sql } from '../../src/engines/index.js'
import { CATALOG_BY_TYPE, readSuite, validate, type MetricContext } from '../../src/expectations/index.js'
import { compileScope } from '../../src/expectations/compiler.js'
import { ENGINES, type OpenedEngine } from '../helpers/engines.js'

const SUITE_PATH = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'bench', 'suite_driver_stats.json')
const CITIES = ['New York', 'Los Angeles', 'Chicago']

for (const testEngine of ENGINES) {
  describe(`${testEngine.kind}: metric compiler`, { skip: testEngine.skip ?? (existsSync(SUITE_PATH) ? undefined : `${SUITE_PATH} is absent`) }, () => {
    let opened: OpenedEngine
    before(async () => {
      opened = await testEngine.open()
      await opened.engine.createTable('driver_stats', [
        { name: 'driver_id', type: 'int64' }, { name: 'event_timestamp', type: 'timestamp' }, { name: 'conv_rate', type: 'float64' },
        { name: 'acc_rate', type: 'float64' }, { name: 'avg_daily_trips', type: 'int64' }, { name: 'city', type: 'string' },
      ])
      const rows = Array.from({ length: 200 }, (_, i) => [1000 + (i % 7), `2024-01-01T00:${String(i % 60).padStart(2, '0')}:${String(Math.floor(i / 60)).padStart(2, '0')}Z`, (i % 100) / 100, ((i * 37) % 100) / 100, 1000 + i, CITIES[i % 3]!])
      await opened.engine.insertRows('driver_stats', [
        { name: 'driver_id', type: 'int64' }, { name: 'event_timestamp', type: 'timestamp' }, { name: 'conv_rate', type: 'float64' },
        { name: 'acc_rate', type: 'float64' }, { name: 'avg_daily_trips', type: 'int64' }, { name: 'city', type: 'string' },
      ], rows)
    })
    after(async () => { await opened?.dispose() })

    const plan = async () => {
      const suite = readSuite(readFileSync(SUITE_PATH, 'utf8'), SUITE_PATH)
      const relation = { kind: 'table' as const, name: 'driver_stats' }
      const context: MetricContext = { engine: opened.engine.kind, columns: await opened.engine.describe(relation) }
      const requests = suite.expectations.flatMap((e) => {
        const def = CATALOG_BY_TYPE.get(e.type)!
        return Object.values(def.metrics(def.kwargs.parse(e.kwargs), context))
      })
      const scope = { engine: opened.engine, relation, from: opened.engine.from(relation), context }
      return { suite, requests, compiled: compileScope(scope, requests) }
    }

    it('compiles the bench suite to one aggregate scan (PostgreSQL: plain + sorting), plus GROUP BYs for the compound key and the value counts', async () => {
      const { requests, compiled } = await plan()
      const aggregates = compiled.scans.flatMap((s) => s.metrics)
      // element counts are shared by every map expectation: deduplicated, not repeated
      assert.ok(aggregates.length < requests.length, `${aggregates.length} aggregates for ${requests.length} requests`)
      assert.equal(aggregates.filter((m) => m.name === 'table.row_count').length, 1)
      assert.deepEqual(compiled.queries.map((q) => q.name).sort(),
        ['column.value_counts', 'columns.duplicate_row_count'])
      if (opened.engine.kind === 'duckdb') {
        assert.equal(compiled.scans.length, 1, 'one aggregate scan')
      } else {
        // ordered-set and DISTINCT aggregates apart, so the others can run on parallel workers
        assert.deepEqual(compiled.scans.map((s) => s.sorts), [false, true])
        assert.deepEqual(compiled.scans[1]!.metrics.map((m) => m.name).sort(),
          ['column.distinct_values.count', 'column.median', 'column.quantile_values'])
      }
      for (const scan of compiled.scans) {
        const text = scan.query.compile(opened.engine.db).sql
        assert.equal((text.match(/\bfrom\b/gi) ?? []).length, 1, 'one FROM: a single pass over the batch')
        assert.ok(!/ over \(/i.test(text), 'no window in the bundled scan')
      }
    })

    it('binds every value as a parameter: no literal from the suite appears in the SQL', async () => {
      const { compiled } = await plan()
      const compiledScans = compiled.scans.map((s) => s.query.compile(opened.engine.db))
      const text = compiledScans.map((c) => c.sql).join('\n')
      const parameters = compiledScans.flatMap((c) => c.parameters)
      for (const literal of ['New York', "^[A-Z][A-Za-z .'-]*$", 'San Francisco']) {
        assert.ok(!text.includes(literal), `${literal} must not be spliced into SQL`)
        assert.ok(parameters.includes(literal), `${literal} is a bound parameter`)
      }
      assert.ok(!/\b0\.99\b|\b1000\b/.test(text), 'numeric bounds are parameters too')
    })

    it('validates the suite with results in suite order, and metrics for history', async () => {
      const { suite } = await plan()
      const { result, metrics } = await validate(suite, { engine: opened.engine, relation: { kind: 'table', name: 'driver_stats' } })
      assert.deepEqual(result.results.map((r) => r.expectation_config.type), suite.expectations.map((e) => e.type))
      assert.equal(result.results.filter((r) => r.exception_info.raised_exception).length, 0, JSON.stringify(result.results.find((r) => r.exception_info.raised_exception)?.exception_info))
      const byType = Object.fromEntries(result.results.map((r) => [`${r.expectation_config.type}:${r.expectation_config.kwargs.column ?? ''}`, r]))
      assert.equal(byType['expect_table_row_count_to_be_between:']!.result.observed_value, 200)
      assert.equal(byType['expect_column_values_to_be_in_set:city']!.success, true)
      assert.equal(byType['expect_compound_columns_to_be_unique:']!.success, true)
      assert.equal(byType['expect_column_min_to_be_between:driver_id']!.result.observed_value, 1000)
      assert.ok(metrics.some((m) => m.name === 'column.mean' && m.args.column === 'conv_rate' && typeof m.value === 'number'))
    })

    it('runs the sorting aggregates with the given work_mem, and refuses one that is not a memory size', async () => {
      const { suite } = await plan()
      const batch = { engine: opened.engine, relation: { kind: 'table' as const, name: 'driver_stats' } }
      const small = await validate(suite, batch, { workMem: '64kB' })
      const large = await validate(suite, batch, { workMem: '1GB' })
      const observed = (r: typeof small) => r.result.results.map((x) => x.result.observed_value)
      assert.deepEqual(observed(small), observed(large))
      if (opened.engine instanceof PostgresEngine) {
        const engine = opened.engine
        // The work_mem a session starts with (RESET's value), whatever any statement SET since.
        const [initial] = await engine.query<{ b: unknown }>(sql`select pg_size_bytes(reset_val || unit) as b from pg_settings where name = 'work_mem'`)
        const sessionBytes = Number(initial!.b)
        assert.ok(sessionBytes !== 64 * 1024 && sessionBytes !== 1024 ** 3, `the sessions' own work_mem (${sessionBytes} bytes) must differ from those given`)
        // Set for the sorting scan's transaction only (SET LOCAL): every idle pooled session still has its own.
        const assertNotLeaked = async (after: string) => {
          assert.ok(engine.pool.idleCount > 0)
          const clients = await Promise.all(Array.from({ length: engine.pool.idleCount }, () => engine.pool.connect()))
          try {
            const settings = await Promise.all(clients.map(async (c) => Number((await c.query<{ b: string }>(`select pg_size_bytes(current_setting('work_mem')) as b`)).rows[0]!.b)))
            assert.deepEqual(settings, settings.map(() => sessionBytes), `work_mem leaked into a pooled session after ${after}`)
          } finally {
            for (const c of clients) c.release()
          }
        }
        await assertNotLeaked('the runs with 64kB and 1GB')
        // Every row carries the work_mem in force for the statement reading it: the median is computed
        // by the sorting scan, which runs with the given work_mem; the max by the plain scan, which does not.
        const probe = readSuite({ name: 'work_mem probe', expectations: [
          { type: 'expect_column_median_to_be_between', kwargs: { column: 'work_mem_bytes', min_value: 0 } },
          { type: 'expect_column_max_to_be_between', kwargs: { column: 'work_mem_bytes', min_value: 0 } },
        ] })
        const probed = { engine, relation: { kind: 'query' as const, sql: sql`select pg_size_bytes(current_setting('work_mem')) as work_mem_bytes from driver_stats` } }
        for (const [workMem, bytes] of [['64kB', 64 * 1024], ['1GB', 1024 ** 3]] as const) {
          const { result } = await validate(probe, probed, { workMem })
          assert.deepEqual(result.results.map((r) => [r.expectation_config.type, Number(r.result.observed_value)]), [
            ['expect_column_median_to_be_between', bytes],
            ['expect_column_max_to_be_between', sessionBytes],
          ], `work_mem ${workMem}`)
          await assertNotLeaked(`the probe with ${workMem}`)
        }
      }
      await assert.rejects(validate(suite, batch, { workMem: "1GB'; drop table driver_stats; --" }), /work_mem.*memory size/)
      const [count] = await opened.engine.query<{ n: unknown }>(sql`select count(*) as n from driver_stats`)
      assert.equal(Number(count!.n), 200)
    })

    it('reads the unexpected rows of every failing expectation in one statement, the same rows as one at a time', async () => {
      const expectations = [
        { type: 'expect_column_values_to_be_between', kwargs: { column: 'conv_rate', max_value: 0.5 } },
        { type: 'expect_column_values_to_be_in_set', kwargs: { column: 'city', value_set: ['Chicago'], result_format: { result_format: 'COMPLETE', unexpected_index_column_names: ['driver_id'] } } },
        { type: 'expect_column_pair_values_a_to_be_greater_than_b', kwargs: { column_A: 'driver_id', column_B: 'avg_daily_trips' } },
        { type: 'expect_column_values_to_match_regex', kwargs: { column: 'city', regex: '^L' } },
        { type: 'expect_column_values_to_not_be_null', kwargs: { column: 'event_timestamp' } },
      ]
      const statements: string[] = []
      // the real engine, with each statement's SQL noted on the way through
      const engine = Object.assign(Object.create(opened.engine) as typeof opened.engine, {
        query: (q: Parameters<typeof opened.engine.query>[0]) => {
          statements.push('compile' in q ? q.compile(opened.engine.db).sql : q.sql)
          return opened.engine.query(q)
        },
      })
      const relation = { kind: 'table' as const, name: 'driver_stats' }
      const together = await validate(readSuite({ name: 's', expectations }), { engine, relation })
      const alone = await Promise.all(expectations.map((e) => validate(readSuite({ name: 's', expectations: [e] }), { engine: opened.engine, relation })))
      assert.deepEqual(together.result.results.map((r) => r.success), [false, false, false, false, true])
      assert.deepEqual(together.result.results.map((r) => r.result), alone.map((a) => a.result.results[0]!.result))
      assert.equal(statements.filter((text) => /__asof_read/.test(text)).length, 1, statements.join('\n'))
      assert.equal(statements.filter((text) => /\blimit\b/i.test(text)).length, 1, 'no other rows pass')
    })

    it('asks `prepare` for just the columns the suite reads and scans its relation, with the batch schema from `relation`', async () => {
      const relation = { kind: 'table' as const, name: 'driver_stats' }
      const prepared = `driver_stats_part_${opened.engine.kind}`
      const asked: (readonly string[])[] = []
      const prepare = async (columns: readonly string[]) => {
        asked.push(columns)
        await opened.engine.execute(sql`create table ${sql.id(prepared)} as select ${sql.join(columns.map((c) => sql.id(c)))} from driver_stats`)
        return { kind: 'table' as const, name: prepared }
      }
      const suite = readSuite({ name: 's', expectations: [
        { type: 'expect_table_column_count_to_equal', kwargs: { value: 6 } },
        { type: 'expect_column_to_exist', kwargs: { column: 'event_timestamp' } },
        { type: 'expect_column_values_to_be_in_set', kwargs: { column: 'city', value_set: ['Chicago'], row_condition: 'acc_rate > 0.5', result_format: { result_format: 'COMPLETE', unexpected_index_column_names: ['avg_daily_trips'] } } },
      ] })
      try {
        const { result } = await validate(suite, { engine: opened.engine, relation, prepare })
        assert.deepEqual(asked, [['acc_rate', 'avg_daily_trips', 'city']], 'in the batch order; none for schema-only expectations')
        assert.deepEqual(result.results.map((r) => r.success), [true, true, false])
        assert.equal(result.results[2]!.result.unexpected_index_query?.toString().includes(prepared), true)
        const whole = await validate(suite, { engine: opened.engine, relation })
        assert.deepEqual(result.results.map((r) => r.result.unexpected_index_list ?? r.result.observed_value), whole.result.results.map((r) => r.result.unexpected_index_list ?? r.result.observed_value))
        // a type that may read any column (an Airflow-style SQL check) gets them all
        const all = readSuite({ name: 's', expectations: [{ type: 'expect_query_results_to_be_all_true', kwargs: { query: 'select count(*) > 0 from {batch}' } }] })
        await opened.engine.execute(sql`drop table ${sql.id(prepared)}`)
        await validate(all, { engine: opened.engine, relation, prepare })
        assert.deepEqual(asked[1], ['driver_id', 'event_timestamp', 'conv_rate', 'acc_rate', 'avg_daily_trips', 'city'])
      } finally {
        await opened.engine.execute(sql`drop table if exists ${sql.id(prepared)}`)
      }
    })

    it('runs a row condition as its own scope, with the condition rebuilt from parameters', async () => {
      const suite = readSuite({ name: 's', expectations: [
        { type: 'expect_column_values_to_be_in_set', kwargs: { column: 'city', value_set: ['Chicago'], row_condition: "city = 'Chicago' and driver_id >= 1000" } },
        { type: 'expect_table_row_count_to_equal', kwargs: { value: 200 } },
      ] })
      const { result, metrics } = await validate(suite, { engine: opened.engine, relation: { kind: 'table', name: 'driver_stats' } })
      assert.deepEqual(result.results.map((r) => r.success), [true, true])
      const [count] = await opened.engine.query<{ n: number }>(sql`select count(*) as n from driver_stats where city = ${'Chicago'}`)
      const scoped = metrics.find((m) => m.name === 'table.row_count' && m.args.row_condition !== undefined)
      assert.equal(scoped?.value, Number(count!.n))
      assert.ok(Number(count!.n) > 0 && Number(count!.n) < 200)
    })
  })
}
