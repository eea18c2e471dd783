import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { profileBatch } from '../../src/expectations/profiler.js'
import { readSuite, stringifySuite, validate } from '../../src/expectations/index.js'
import { ENGINES, type OpenedEngine } from '../helpers/engines.js'

const COLUMNS = [
  { name: 'trip id', type: 'int64' as const },
  { name: 'city', type: 'string' as const },
  { name: 'fare', type: 'float64' as const },
  { name: 'ts', type: 'timestamp' as const },
]
const ROWS = Array.from({ length: 40 }, (_, i) => [i + 1, ['paris', 'rome', 'oslo'][i % 3]!, i % 10 === 0 ? null : 2.5 + i, `2024-01-0${1 + (i % 5)}T00:00:00Z`])

for (const target of ENGINES) {
  describe(`${target.kind}: suite profiler`, { skip: target.skip }, () => {
    let opened: OpenedEngine
    before(async () => {
      opened = await target.open()
      await opened.engine.createTable('trips', COLUMNS)
      await opened.engine.insertRows('trips', COLUMNS, ROWS)
    })
    after(async () => { await opened?.dispose() })

    it('proposes types, null fractions with mostly, ranges, small sets and uniqueness', async () => {
      const suite = await profileBatch(opened.engine, { kind: 'table', name: 'trips' }, { suiteName: 'trips', now: '2024-02-01T00:00:00Z' })
      const find = (type: string, column?: string) => suite.expectations.filter((e) => e.type === type && (column === undefined || e.kwargs.column === column))
      assert.equal(suite.name, 'trips')
      assert.deepEqual(find('expect_table_columns_to_match_ordered_list')[0]!.kwargs, { column_list: ['trip id', 'city', 'fare', 'ts'] })
      assert.deepEqual(find('expect_column_values_to_not_be_null', 'fare')[0]!.kwargs, { column: 'fare', mostly: 0.9 })
      assert.deepEqual(find('expect_column_values_to_not_be_null', 'city')[0]!.kwargs, { column: 'city' })
      assert.deepEqual(find('expect_column_values_to_be_between', 'fare')[0]!.kwargs, { column: 'fare', min_value: 3.5, max_value: 41.5 })
      assert.deepEqual(find('expect_column_values_to_be_between', 'ts')[0]!.kwargs, { column: 'ts', min_value: '2024-01-01T00:00:00Z', max_value: '2024-01-05T00:00:00Z' })
      assert.deepEqual(find('expect_column_values_to_be_in_set', 'city')[0]!.kwargs, { column: 'city', value_set: ['oslo', 'paris', 'rome'] })
      assert.equal(find('expect_column_values_to_be_unique', 'trip id').length, 1)
      assert.equal(find('expect_column_values_to_be_unique', 'city').length, 0)
      assert.equal(find('expect_column_values_to_be_of_type').length, 4)
      assert.equal(suite.meta.profiled_rows, 40)
    })
  })
}

for (const target of ENGINES) {
  describe(`${target.kind}: profile, then validate the same data`, { skip: target.skip }, () => {
    let opened: OpenedEngine
    before(async () => {
      opened = await target.open()
      await opened.engine.createTable('trips', COLUMNS)
      await opened.engine.insertRows('trips', COLUMNS, ROWS)
    })
    after(async () => { await opened?.dispose() })

    it('the proposed suite passes on the data it was profiled from, and catches a change', async () => {
      const relation = { kind: 'table' as const, name: 'trips' }
      const proposed = await profileBatch(opened.engine, relation, { suiteName: 'trips' })
      const suite = readSuite(JSON.parse(stringifySuite({ ...proposed })))
      const { result } = await validate(suite, { engine: opened.engine, relation })
      assert.equal(result.success, true, JSON.stringify(result.results.filter((r) => !r.success), null, 1))
      assert.equal(result.statistics.evaluated_expectations, proposed.expectations.length)
      await opened.engine.insertRows('trips', COLUMNS, [[1, 'lima', 500, '2024-02-01T00:00:00Z']])
      const after = await validate(suite, { engine: opened.engine, relation })
      const failed = after.result.results.filter((r) => !r.success).map((r) => `${r.expectation_config.type}:${String(r.expectation_config.kwargs.column)}`)
      assert.deepEqual(failed.sort(), [
        'expect_column_values_to_be_between:fare', 'expect_column_values_to_be_between:ts',
        'expect_column_values_to_be_in_set:city', 'expect_column_values_to_be_unique:trip id',
      ])
    })
  })
}
