import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { CATALOG, readSuite, validate, type ExpectationResult } from '../../src/expectations/index.js'
import { ENGINES, type OpenedEngine } from '../helpers/engines.js'

const INDEX = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'conformance', 'gx', 'index.json')

/** GX types with no shared conformance case: each is tested below instead. */
const TESTED_HERE = [
  'expect_column_values_to_be_increasing', 'expect_column_values_to_be_decreasing', 'expect_column_values_to_be_dateutil_parseable',
  'expect_column_values_to_match_strftime_format', 'expect_column_values_to_be_json_parseable',
]

describe('catalog', () => {
  it('covers every GX type of the conformance index, and every GX entry has cases or tests here', { skip: existsSync(INDEX) ? undefined : `${INDEX} is absent` }, () => {
    const conformance = Object.keys((JSON.parse(readFileSync(INDEX, 'utf8')) as { types: Record<string, unknown> }).types)
    const types = CATALOG.map((d) => d.type)
    assert.deepEqual(conformance.filter((t) => !types.includes(t as never)), [], 'conformance types missing from the catalog')
    const gxTypes = types.filter((t) => t.startsWith('expect_') && !/freshness|query_results|query_values|interval_check|not_drift|anomalous/.test(t))
    assert.deepEqual(gxTypes.filter((t) => !conformance.includes(t) && !TESTED_HERE.includes(t)), [])
    assert.equal(new Set(types).size, types.length, 'no type registered twice')
  })
})

for (const testEngine of ENGINES) {
  describe(`${testEngine.kind}: catalog types without shared cases`, { skip: testEngine.skip }, () => {
    let opened: OpenedEngine
    const columns = [{ name: 'i', type: 'int64' }, { name: 'up', type: 'int64' }, { name: 'down', type: 'float64' }, { name: 'when', type: 'string' }, { name: 'doc', type: 'string' }] as const
    before(async () => {
      opened = await testEngine.open()
      await opened.engine.createTable('t', columns)
      await opened.engine.insertRows('t', columns, [
        [0, 1, 9.5, '2024-01-02', '{"a": 1}'],
        [1, 2, 9.5, 'Jan 05 2024 10:00:00', '[1, 2]'],
        [2, 2, 8, '2024-01-03 12:30:00', 'not json'],
        [3, 5, 3, 'yesterday', null],
        [4, 4, 4, null, '"s"'],
      ])
    })
    after(async () => { await opened?.dispose() })

    const run = async (type: string, kwargs: Record<string, unknown>): Promise<ExpectationResult> => {
      const suite = readSuite({ name: 's', expectations: [{ type, kwargs: { ...kwargs, result_format: { result_format: 'COMPLETE', unexpected_index_column_names: ['i'] } } }] })
      const r = (await validate(suite, { engine: opened.engine, relation: { kind: 'table', name: 't' } })).result.results[0]!
      assert.equal(r.exception_info.raised_exception, false, r.exception_info.exception_message ?? '')
      return r
    }
    const failingRows = (r: ExpectationResult) => (r.result.unexpected_index_list as { i: number }[]).map((x) => Number(x.i)).sort()

    it('increasing / decreasing, strictly or not, along the row order', async () => {
      assert.deepEqual(failingRows(await run('expect_column_values_to_be_increasing', { column: 'up' })), [4])
      assert.deepEqual(failingRows(await run('expect_column_values_to_be_increasing', { column: 'up', strictly: true })), [2, 4])
      assert.deepEqual(failingRows(await run('expect_column_values_to_be_decreasing', { column: 'down' })), [4])
      assert.deepEqual(failingRows(await run('expect_column_values_to_be_decreasing', { column: 'down', strictly: true })), [1, 4])
      assert.equal((await run('expect_column_values_to_be_increasing', { column: 'up', mostly: 0.75 })).success, true)
    })

    it('dateutil-parseable, strftime format and JSON values (nulls not evaluated)', async () => {
      const dates = await run('expect_column_values_to_be_dateutil_parseable', { column: 'when' })
      assert.deepEqual([dates.success, dates.result.unexpected_list, dates.result.missing_count], [false, ['yesterday'], 1])
      assert.deepEqual(failingRows(dates), [3])
      const fmt = await run('expect_column_values_to_match_strftime_format', { column: 'when', strftime_format: '%Y-%m-%d' })
      assert.deepEqual(failingRows(fmt), [1, 2, 3])
      const json = await run('expect_column_values_to_be_json_parseable', { column: 'doc' })
      assert.deepEqual([json.result.unexpected_list, json.result.element_count, json.result.missing_count], [['not json'], 5, 1])
      assert.equal((await run('expect_column_values_to_be_json_parseable', { column: 'doc', mostly: 0.75 })).success, true)
    })
  })
}
