import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderDataDocs, resultPageName, writeDataDocs, type DocsResult } from '../../src/expectations/docs/data-docs.js'
import { tempDir } from '../helpers/engines.js'

const hostile = '<script>alert("x")</script>'

function result(id: string, runTime: string, success: boolean): DocsResult {
  return {
    id, checkpoint: 'nightly', suiteName: 'trips', suiteVersion: 3, batch: 'file:data/trips.parquet', success, runTime,
    result: {
      success,
      statistics: { evaluated_expectations: 2, successful_expectations: success ? 2 : 1, unsuccessful_expectations: success ? 0 : 1, success_percent: success ? 100 : 50 },
      results: [
        { success: true, expectation_config: { type: 'expect_table_row_count_to_be_between', kwargs: { min_value: 1 } }, result: { observed_value: 42 } },
        {
          success, expectation_config: { type: 'expect_column_values_to_be_in_set', kwargs: { column: 'city name', value_set: ['a'] }, severity: 'critical' },
          result: { element_count: 42, unexpected_count: 2, unexpected_percent: 4.76, partial_unexpected_list: [hostile, 'b & c'], unexpected_rows_query: 'select * from t where "city name" not in (\'a\')' },
        },
      ],
    },
  }
}

describe('data docs', () => {
  const results = [result('r1', '2024-01-01T00:00:00Z', true), result('r2', '2024-01-02T00:00:00Z', false)]

  it('renders an index of runs with success over time, and one page per result', () => {
    const pages = renderDataDocs(results)
    assert.deepEqual([...pages.keys()].sort(), ['index.html', resultPageName('r1'), resultPageName('r2')].sort())
    const index = pages.get('index.html')!
    assert.match(index, /checkpoint nightly<\/td>\s*<td>1 \/ 2<\/td>/)
    // oldest to newest in the strip: r1 (ok) then r2 (ko)
    assert.ok(index.indexOf('class="ok" href="result-r1.html"') < index.indexOf('class="ko" href="result-r2.html"'))
    const failed = pages.get(resultPageName('r2'))!
    assert.match(failed, /expect_column_values_to_be_in_set/)
    assert.match(failed, /2 unexpected of 42 \(4\.76%\)/)
    assert.match(failed, /<td>42<\/td>/)
    assert.match(failed, /class="badge fail">fail</)
    assert.match(failed, /query for the failing rows/)
  })

  it('escapes every piece of data', () => {
    const page = renderDataDocs(results).get(resultPageName('r2'))!
    assert.ok(!page.includes(hostile), 'raw script tag in the page')
    assert.ok(page.includes('&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt;'))
    assert.ok(page.includes('b &amp; c'))
    assert.ok(page.includes('&quot;city name&quot; not in (&#39;a&#39;)'))
    const evil = { ...result('"><img src=x>', '2024-01-03T00:00:00Z', true), batch: '<b>batch</b>' }
    const pages = renderDataDocs([evil])
    assert.ok(!pages.get('index.html')!.includes('<b>batch</b>'))
    assert.ok(!pages.get('index.html')!.includes('"><img'))
  })

  it('writes the pages to a directory', async () => {
    const tmp = tempDir()
    try {
      const written = await writeDataDocs(join(tmp.dir, 'docs'), results)
      assert.equal(written.length, 3)
      assert.match(readFileSync(join(tmp.dir, 'docs', 'index.html'), 'utf8'), /<!doctype html>/)
    } finally { tmp.remove() }
  })
})
