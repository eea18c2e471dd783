import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  isAsofError, type AsofError,
} from '../../src/core/index.js'
import {
  parseRowCondition, readSuite, resolveParameters, stringifySuite, suiteToGx0, suiteToGx1, validate, type Suite,
} from '../../src/expectations/index.js'
import { ENGINES, type OpenedEngine } from '../helpers/engines.js'

/** A GX 0.18 suite the way teams commit them: every quirk the issue lists. */
const GX0 = `{
  "expectation_suite_name": "trips.warning",
  "ge_cloud_id": null,
  "data_asset_type": "Dataset",
  "meta": {"great_expectations_version": "0.18.21"},
  "evaluation_parameters": {"min_rows": 2},
  "expectations": [
    {"expectation_type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": {"$PARAMETER": "min_rows"}, "max_value": null}, "meta": {}},
    {"expectation_type": "expect_column_pair_values_A_to_be_greater_than_B", "kwargs": {"column_A": "end time", "column_B": "start.time", "or_equal": true}, "meta": {"severity": "warning"}, "expectation_context": {"description": null}, "rendered_content": [], "ge_cloud_id": "abc"},
    {"expectation_type": "expect_column_values_to_be_between", "kwargs": {"column": "fare.amount", "min_value": "0", "max_value": Infinity, "mostly": 0.5}, "meta": {}},
    {"expectation_type": "expect_column_values_to_be_between", "kwargs": {"column": "start.time", "min_value": "2020-01-01", "max_value": {"$PARAMETER": "now()"}}, "meta": {}},
    {"expectation_type": "expect_column_mean_to_be_between", "kwargs": {"column": "fare.amount", "min_value": -Infinity, "max_value": NaN}, "meta": {}}
  ]
}`

describe('suite formats', () => {
  it('reads GX 0.x with its quirks: capitalized types, string/date/null/Infinity bounds, meta.severity, extra keys', () => {
    const suite = readSuite(GX0, 'trips.json')
    assert.equal(suite.name, 'trips.warning')
    assert.deepEqual(suite.parameters, { min_rows: 2 })
    assert.deepEqual(suite.expectations.map((e) => e.type), [
      'expect_table_row_count_to_be_between', 'expect_column_pair_values_a_to_be_greater_than_b',
      'expect_column_values_to_be_between', 'expect_column_values_to_be_between', 'expect_column_mean_to_be_between',
    ])
    assert.deepEqual(suite.expectations.map((e) => e.severity), ['critical', 'warning', 'critical', 'critical', 'critical'])
    assert.equal(suite.expectations[2]!.kwargs.max_value, Infinity)
    assert.equal(suite.expectations[4]!.kwargs.min_value, -Infinity)
    assert.ok(Number.isNaN(suite.expectations[4]!.kwargs.max_value))
    assert.deepEqual(suite.expectations[1]!.meta, {})
  })

  it('reads GX 1.x (severity, id, notes, suite_parameters) and converts both ways without loss', () => {
    const gx1 = { name: 's', id: 'u1', suite_parameters: { p: 1 }, meta: { owner: 'me' }, expectations: [
      { type: 'expect_column_to_exist', kwargs: { column: 'a' }, meta: {}, id: 'e1', severity: 'info', notes: 'n', description: 'd' },
    ] }
    const suite = readSuite(gx1)
    assert.deepEqual(suiteToGx1(suite), { ...gx1, expectations: [{ ...gx1.expectations[0] }] })
    const gx0 = suiteToGx0(suite)
    assert.equal((gx0.expectations as { meta: { severity: string } }[])[0]!.meta.severity, 'info')
    const back = readSuite(gx0)
    assert.deepEqual(back.expectations.map((e) => [e.type, e.severity]), [['expect_column_to_exist', 'info']])
    assert.deepEqual(back.parameters, { p: 1 })
  })

  it('writes non-finite numbers as Python does, and reads them back', () => {
    const suite = readSuite(GX0)
    const text = stringifySuite(suiteToGx1(suite))
    assert.match(text, /"max_value": Infinity/)
    assert.match(text, /"min_value": -Infinity/)
    assert.match(text, /"max_value": NaN/)
    assert.deepEqual(readSuite(text).expectations.map((e) => e.kwargs.max_value).slice(2, 3), [Infinity])
  })

  it('rejects an unparseable suite with one bad_input naming the file and field', () => {
    for (const [input, pattern] of [
      ['{"name": ', /^bad\.json: not valid JSON/],
      ['{"expectations": []}', /^bad\.json: name: /],
      ['{"name": "s", "expectations": [{"kwargs": {}}]}', /^bad\.json: expectations\[0\]\.type/],
      ['{"expectation_suite_name": "s", "expectations": [{"expectation_type": "x", "meta": {"severity": "loud"}}]}', /expectations\[0\]\.meta\.severity/],
    ] as const) {
      assert.throws(() => readSuite(input, 'bad.json'), (e) => isAsofError(e) && e.kind === 'bad_input' && pattern.test(e.message))
    }
  })
})

describe('evaluation parameters', () => {
  const now = new Date('2024-06-01T00:00:00Z')
  const ctx = { now, resolve: async (name: string) => ({ upstream: 1000, since: '2024-01-01T00:00:00Z' } as Record<string, unknown>)[name] }
  it("evaluates GX's expressions: now() - timedelta(weeks=52), datetime(), arithmetic on names", async () => {
    const out = await resolveParameters({
      a: { $PARAMETER: 'now() - timedelta(weeks=52)' },
      b: { $PARAMETER: 'upstream * 0.9' },
      c: [{ $PARAMETER: 'datetime(2020, 1, 2)' }],
      d: { $PARAMETER: 'since + timedelta(days=1, hours=12)' },
      e: 5,
    }, ctx)
    assert.deepEqual(out, {
      a: new Date(now.getTime() - 52 * 7 * 86400_000).toISOString(), b: 900, c: ['2020-01-02T00:00:00.000Z'], d: '2024-01-02T12:00:00.000Z', e: 5,
    })
  })
})

describe('row_condition', () => {
  it('accepts SQL and GX spellings, rebuilding names as identifiers and literals as parameters', () => {
    for (const text of ['a > 1 and b is not null', 'col("fare.amount") >= 2.5 & ~(city == \'Paris\')', '"end time" between 1 and 2 or lower(city) in (\'a\', \'b\')', "name not like 'x%'"]) {
      const c = parseRowCondition(text)
      assert.ok(c.columns.length > 0, text)
    }
    assert.deepEqual(parseRowCondition('col("fare.amount") > 1 and "end time" is null').columns, ['fare.amount', 'end time'])
  })

  it('rejects statements, comments, subqueries and unknown functions', () => {
    for (const [text, pattern] of [
      ['a = 1; drop table t', /';' or a comment/],
      ['a = 1 -- hi', /comment/],
      ['a = 1 /* x */', /comment/],
      ['a in (select b from t)', /subquer/],
      ['pg_sleep(10) = 1', /function pg_sleep\(\) is not allowed/],
      ['a = 1 union select 1', /not allowed/],
      ["a = 'unterminated", /unterminated string/],
      ['', /empty/],
    ] as const) {
      assert.throws(() => parseRowCondition(text), (e) => isAsofError(e) && e.kind === 'bad_input' && pattern.test(e.message), text)
    }
  })
})

for (const testEngine of ENGINES) {
  describe(`${testEngine.kind}: results, result formats and per-expectation errors`, { skip: testEngine.skip }, () => {
    let opened: OpenedEngine
    const columns = [
      { name: 'id', type: 'int64' }, { name: 'fare.amount', type: 'float64' }, { name: 'start.time', type: 'timestamp' },
      { name: 'end time', type: 'timestamp' }, { name: 'city', type: 'string' },
    ] as const
    before(async () => {
      opened = await testEngine.open()
      await opened.engine.createTable('trips', columns)
      await opened.engine.insertRows('trips', columns, [
        [1, 10, '2021-01-01T00:00:00Z', '2021-01-01T01:00:00Z', 'Paris'],
        [2, -5, '2021-01-02T00:00:00Z', '2021-01-01T00:00:00Z', 'Rome'],
        [3, null, '2019-06-01T00:00:00Z', '2019-06-01T00:00:00Z', null],
        [4, 7, '2022-01-01T00:00:00Z', '2022-01-02T00:00:00Z', 'Paris'],
      ])
    })
    after(async () => { await opened?.dispose() })
    const batch = () => ({ engine: opened.engine, relation: { kind: 'table' as const, name: 'trips' } })

    it('runs the quirky GX 0.x suite with severities, string/date/null/Infinity bounds and parameters', async () => {
      const { result } = await validate(readSuite(GX0), batch(), { now: new Date('2024-01-01T00:00:00Z') })
      const statuses = result.results.map((r) => r.status)
      // pair A ≥ B fails on row 2 but is a warning; fare ≥ "0" fails 1 of 3 non-null (mostly 0.5 passes);
      // start.time ≥ 2020-01-01 fails on row 3 (critical); a NaN bound is no bound: a bad kwarg.
      assert.deepEqual(statuses, ['pass', 'warn', 'pass', 'fail', 'error'])
      assert.equal(Date.parse(String((result.results[3]!.result.partial_unexpected_list as string[])[0])), Date.parse('2019-06-01T00:00:00Z'))
      assert.equal(result.results[3]!.result.unexpected_count, 1)
      assert.equal(result.success, false)
      assert.equal(result.statistics.evaluated_expectations, 5)
      assert.equal(result.meta.suite_name, 'trips.warning')
      assert.equal(result.meta.run_id.run_time, '2024-01-01T00:00:00.000Z')
    })

    it('reports an unknown type or a bad kwarg on that expectation only, with index, type and field', async () => {
      const suite: Suite = readSuite({ name: 's', expectations: [
        { type: 'expect_column_values_to_be_shiny', kwargs: { column: 'city' } },
        { type: 'expect_column_values_to_not_be_null', kwargs: { column: 'city', mostly: 1.1 } },
        { type: 'expect_column_mean_to_be_between', kwargs: { column: 'fare.amount', min_value: 0, max_value: 'ten' } },
        { type: 'expect_column_values_to_be_between', kwargs: { column: 'fare.amount', min_value: 'zero' } },
        { type: 'expect_table_row_count_to_equal', kwargs: { value: 4 } },
      ] })
      const { result } = await validate(suite, batch())
      const info = result.results.map((r) => r.exception_info)
      assert.deepEqual(info.slice(0, 2).map((i) => [i.raised_exception, i.index, i.type, i.field]), [
        [true, 0, 'expect_column_values_to_be_shiny', 'type'],
        [true, 1, 'expect_column_values_to_not_be_null', 'kwargs.mostly'],
      ])
      assert.equal(result.results[2]!.success, false) // 'ten' is not comparable with a number: the mean is not within
      assert.equal(info[3]!.raised_exception, true)
      assert.match(info[3]!.exception_message!, /"zero" is not a number/)
      assert.deepEqual(result.results.map((r) => r.status), ['error', 'error', 'fail', 'error', 'pass'])
      assert.equal(result.success, false)
    })

    it('catch_exceptions false: an expectation that raises fails the whole run with its error instead of a result', async () => {
      const raising = (kwargs: Record<string, unknown>) => readSuite({ name: 's', expectations: [
        { type: 'expect_table_row_count_to_equal', kwargs: { value: 4 } },
        { type: 'expect_column_mean_to_be_between', kwargs: { column: 'city', min_value: 0, ...kwargs } }, // the mean of text: the metric's SQL fails
        { type: 'expect_column_values_to_not_be_null', kwargs: { column: 'no such column', ...kwargs } }, // fails while planning
      ] })
      const caught = await validate(raising({}), batch())
      assert.deepEqual(caught.result.results.map((r) => r.status), ['pass', 'error', 'error'])
      const explicit = await validate(raising({ catch_exceptions: true }), batch())
      assert.deepEqual(explicit.result.results.map((r) => r.status), ['pass', 'error', 'error'])
      await assert.rejects(validate(raising({ catch_exceptions: false }), batch()), (e: AsofError) => {
        assert.equal(e.kind, 'bad_input')
        // [2] names a column the batch lacks, which planning refuses before any scan: [1]'s SQL never runs
        assert.match(e.message, /^expectations\[2\] \(expect_column_values_to_not_be_null\) raised, and catch_exceptions is false: column "no such column" is not in the batch; columns: /)
        assert.deepEqual(e.details, { index: 2, field: 'column' })
        assert.match((e.cause as Error).message, /^column "no such column" is not in the batch/)
        return true
      })
      const planning = readSuite({ name: 's', expectations: [{ type: 'expect_column_values_to_be_shiny', kwargs: { column: 'city', catch_exceptions: false } }] })
      await assert.rejects(validate(planning, batch()), /expectations\[0\] \(expect_column_values_to_be_shiny\) raised, and catch_exceptions is false: unknown expectation type/)
    })

    it("shapes results by result format, and an expectation's own result_format overrides the run's", async () => {
      const kwargs = { column: 'city', value_set: ['Paris'] }
      const suite = readSuite({ name: 's', expectations: [
        { type: 'expect_column_values_to_be_in_set', kwargs },
        { type: 'expect_column_values_to_be_in_set', kwargs: { ...kwargs, result_format: 'BOOLEAN_ONLY' } },
        { type: 'expect_column_values_to_be_in_set', kwargs: { ...kwargs, result_format: { result_format: 'COMPLETE', unexpected_index_column_names: ['id'] } } },
      ] })
      const basic = (await validate(suite, batch(), { resultFormat: 'BASIC' })).result.results
      assert.deepEqual(basic[0]!.result.partial_unexpected_list, ['Rome'])
      assert.equal(basic[0]!.result.partial_unexpected_counts, undefined)
      assert.deepEqual(basic[0]!.result, {
        element_count: 4, unexpected_count: 1, unexpected_percent: (1 / 3) * 100, missing_count: 1, missing_percent: 25,
        unexpected_percent_total: 25, unexpected_percent_nonmissing: (1 / 3) * 100, partial_unexpected_list: ['Rome'],
      })
      assert.deepEqual(basic[1]!.result, {})
      assert.deepEqual(basic[2]!.result.unexpected_index_list, [{ city: 'Rome', id: 2 }])
      assert.deepEqual(basic[2]!.result.unexpected_list, ['Rome'])
      const query = basic[2]!.result.unexpected_index_query as string
      assert.match(query, /'Paris'/)
      const rows = await opened.engine.query<{ id: number }>({ sql: query, parameters: [], query: undefined as never, queryId: undefined as never })
      assert.deepEqual(rows.map((r) => Number(r.id)), [2], 'the shown query is runnable and selects the failing rows')
      const summary = (await validate(suite, batch(), { resultFormat: 'SUMMARY' })).result.results[0]!.result
      assert.deepEqual(summary.partial_unexpected_counts, [{ value: 'Rome', count: 1 }])
      assert.equal(summary.unexpected_list, undefined)
    })

    it('uses resolveParameter for names neither the run nor the suite defines (metrics of earlier runs)', async () => {
      const suite = readSuite({ name: 's', expectations: [
        { type: 'expect_table_row_count_to_be_between', kwargs: { min_value: { $PARAMETER: 'previous_rows * 0.9' } } },
        { type: 'expect_table_row_count_to_be_between', kwargs: { min_value: { $PARAMETER: 'nowhere' } } },
      ] })
      const asked: string[] = []
      const { result } = await validate(suite, batch(), { resolveParameter: (name) => { asked.push(name); return name === 'previous_rows' ? 5 : undefined } })
      assert.deepEqual(result.results.map((r) => r.status), ['fail', 'error'])
      assert.equal(result.results[0]!.expectation_config.kwargs.min_value, 4.5)
      assert.match(result.results[1]!.exception_info.exception_message!, /unknown parameter "nowhere"/)
      assert.deepEqual(asked.sort(), ['nowhere', 'previous_rows'])
    })
  })
}
