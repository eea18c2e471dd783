import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readSuite, validate, type ExpectationResult } from '../../src/expectations/index.js'
import { ENGINES, type OpenedEngine } from '../helpers/engines.js'

const COLUMNS = [
  { name: 'id', type: 'int64' as const },
  { name: 'fare amount', type: 'float64' as const },
  { name: 'city', type: 'string' as const },
  { name: 'updated_at', type: 'timestamp' as const },
]
const NOW = '2024-06-01T12:00:00Z'
// current: 200 rows; reference_same: the same distribution; reference_shifted: fares + 3 and other cities
const row = (i: number, shift = 0, cities = ['paris', 'rome', 'oslo']) => [i, ((i * 37) % 200) / 10 + shift, cities[i % 3]!, `2024-06-01T${String(10 + (i % 2)).padStart(2, '0')}:00:00Z`]

for (const target of ENGINES) {
  describe(`${target.kind}: freshness, SQL checks, drift, interval and anomaly expectations`, { skip: target.skip }, () => {
    let opened: OpenedEngine
    const batch = () => ({ engine: opened.engine, relation: { kind: 'table' as const, name: 'trips' } })
    const run = async (type: string, kwargs: Record<string, unknown>): Promise<ExpectationResult> => {
      const suite = readSuite({ name: 's', expectations: [{ type, kwargs }] })
      const { result } = await validate(suite, batch(), { now: new Date(NOW) })
      return result.results[0]!
    }

    before(async () => {
      opened = await target.open()
      for (const [name, rows] of [
        ['trips', Array.from({ length: 200 }, (_, i) => row(i))],
        ['reference_same', Array.from({ length: 180 }, (_, i) => row(i + 7))],
        ['reference_shifted', Array.from({ length: 200 }, (_, i) => row(i, 3, ['paris', 'lima', 'kyiv']))],
      ] as const) {
        await opened.engine.createTable(name, COLUMNS)
        await opened.engine.insertRows(name, COLUMNS, rows as unknown as never[][])
      }
    })
    after(async () => { await opened?.dispose() })

    it('freshness: the newest timestamp within max_age of the run time', async () => {
      const fresh = await run('expect_table_freshness_to_be_within', { column: 'updated_at', max_age: '2h', now: NOW })
      assert.deepEqual([fresh.success, fresh.result.observed_value], [true, '2024-06-01T11:00:00Z'])
      assert.equal((fresh.result.details as { age_seconds: number }).age_seconds, 3600)
      const stale = await run('expect_table_freshness_to_be_within', { column: 'updated_at', max_age: 1800, now: NOW })
      assert.equal(stale.success, false)
      const bad = await run('expect_table_freshness_to_be_within', { column: 'updated_at', max_age: 'soon' })
      assert.equal(bad.status, 'error')
      assert.match(bad.exception_info.exception_message!, /max_age/)
    })

    it('a query whose single row must be all true (Airflow SQLCheckOperator)', async () => {
      const ok = await run('expect_query_results_to_be_all_true', { query: 'select count(*) = 200 as n, min(id) >= 0 as ids from {batch}' })
      assert.equal(ok.success, true)
      const ko = await run('expect_query_results_to_be_all_true', { query: 'select count(*) > 0 as has_rows, max("fare amount") < 5 as small from {batch}' })
      assert.equal(ko.success, false)
      assert.deepEqual((ko.result.details as { failing_columns: string[] }).failing_columns, ['small'])
      const empty = await run('expect_query_results_to_be_all_true', { query: 'select 1 as x from {batch} where id < 0' })
      assert.equal(empty.success, false)
      const filtered = await run('expect_query_results_to_be_all_true', { query: "select count(*) = 67 as n from {batch}", row_condition: "city = 'paris'" })
      assert.equal(filtered.success, true)
    })

    it('a value check with a tolerance (Airflow SQLValueCheckOperator)', async () => {
      assert.equal((await run('expect_query_values_to_be_within_tolerance', { query: 'select count(*) from {batch}', pass_value: 190, tolerance: 0.1 })).success, true)
      assert.equal((await run('expect_query_values_to_be_within_tolerance', { query: 'select count(*) from {batch}', pass_value: 150, tolerance: 0.1 })).success, false)
      assert.equal((await run('expect_query_values_to_be_within_tolerance', { query: "select min(city) from {batch}", pass_value: 'oslo' })).success, true)
    })

    it('drift against a reference batch, with per-column overrides', async () => {
      const same = await run('expect_table_columns_to_not_drift', { reference: { table: 'reference_same' }, columns: ['fare amount', 'city'] })
      assert.equal(same.success, true, JSON.stringify(same.result))
      const shifted = await run('expect_table_columns_to_not_drift', { reference: { table: 'reference_shifted' }, columns: ['fare amount', 'city'] })
      assert.equal(shifted.success, false)
      const details = shifted.result.details as { columns: { column: string; test: string; drifted: boolean }[] }
      assert.deepEqual(details.columns.map((c) => [c.column, c.test, c.drifted]), [['fare amount', 'ks', true], ['city', 'chisquare', true]])
      const overridden = await run('expect_table_columns_to_not_drift', {
        reference: { table: 'reference_shifted' }, columns: ['fare amount', 'city'], drift_share: 1,
        per_column_stattest: { city: { stattest: 'linf', threshold: 0.9 } },
      })
      assert.equal(overridden.success, true)
      assert.equal(overridden.result.observed_value, 0.5)
      const missing = await run('expect_table_columns_to_not_drift', { reference: { table: 'reference_same' }, columns: ['nope'] })
      assert.equal(missing.status, 'error')
    })

    it('an interval check against the value days_back ago', async () => {
      const history = { 'count(*)': [{ value: 210, run_time: '2024-05-30T00:00:00Z' }, { value: 150, run_time: '2024-05-24T00:00:00Z' }] }
      const kw = { metrics_thresholds: { 'count(*)': 1.2 }, days_back: 7, history, now: NOW }
      const outcome = await run('expect_table_metrics_to_pass_interval_check', kw)
      // reference = 150 (the newest value at least 7 days old): 200 / 150 = 1.33 ≥ 1.2
      assert.equal(outcome.success, false)
      assert.ok(Math.abs((outcome.result.observed_value as Record<string, number>)['count(*)']! - 200 / 150) < 1e-12)
      assert.equal((await run('expect_table_metrics_to_pass_interval_check', { ...kw, metrics_thresholds: { 'count(*)': 1.5 } })).success, true)
      assert.equal((await run('expect_table_metrics_to_pass_interval_check', { ...kw, days_back: 1 })).success, true)
      assert.equal((await run('expect_table_metrics_to_pass_interval_check', { ...kw, ratio_formula: 'relative_diff', metrics_thresholds: { 'count(*)': 0.3 } })).success, false)
      assert.equal((await run('expect_table_metrics_to_pass_interval_check', { ...kw, history: {} })).success, false)
    })

    it('anomaly rules on the metric history', async () => {
      const history = { 'avg("fare amount")': [10, 9.8, 10.1, 9.9, 10.2].map((value, i) => ({ value, run_time: `2024-05-${String(30 - i).padStart(2, '0')}T00:00:00Z` })) }
      const stddev = await run('expect_table_metric_to_not_be_anomalous', { metric: 'avg("fare amount")', rule: { type: 'stddev', k: 3 }, history, now: NOW })
      assert.equal(stddev.result.observed_value, 9.95)
      assert.equal(stddev.success, true)
      const relative = await run('expect_table_metric_to_not_be_anomalous', { metric: 'count(*)', rule: { type: 'relative_change', max_change: 0.1 }, history: { 'count(*)': [{ value: 250, run_time: '2024-05-31T00:00:00Z' }] }, now: NOW })
      assert.equal(relative.success, false)
      const first = await run('expect_table_metric_to_not_be_anomalous', { metric: 'count(*)', rule: { type: 'absolute_change', max_change: 1 } })
      assert.equal(first.success, true)
    })
  })
}
