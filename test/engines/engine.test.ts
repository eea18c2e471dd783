import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from '../../src/engines/index.js'
import { ENGINES, openTestDuckDb, type OpenedEngine } from '../helpers/engines.js'

for (const target of ENGINES) {
  describe(`${target.kind}: engine`, { skip: target.skip }, () => {
    let opened: OpenedEngine
    before(async () => { opened = await target.open() })
    after(async () => { await opened?.dispose() })

    it('keeps microseconds and normalizes offsets to UTC', async () => {
      const [row] = await opened.engine.query<{ t: string }>(sql`select cast(${'2024-03-01T12:00:00.123456+02:00'} as timestamptz) as t`)
      assert.equal(row!.t, '2024-03-01T10:00:00.123456Z')
    })

    it('binds values as parameters: a quote in a value is data, not SQL', async () => {
      const hostile = "x'); drop table t; --"
      const [row] = await opened.engine.query<{ v: string }>(sql`select ${hostile} as v`)
      assert.equal(row!.v, hostile)
    })

    it('quotes identifiers with spaces and dots', async () => {
      const cols = [{ name: 'a b.c', type: 'int64' as const }, { name: 'ts', type: 'timestamp' as const }, { name: 'tags', type: 'list' as const, elementType: 'string' as const }]
      await opened.engine.createTable('odd names', cols)
      await opened.engine.insertRows('odd names', cols, [[1, '2024-01-01T00:00:00.000001Z', ['a', 'b']], [null, null, null]])
      const rows = await opened.engine.query(sql`select * from ${sql.id('odd names')} order by 1`)
      assert.deepEqual(rows, [{ 'a b.c': 1, ts: '2024-01-01T00:00:00.000001Z', tags: ['a', 'b'] }, { 'a b.c': null, ts: null, tags: null }])
      const described = await opened.engine.describe({ kind: 'table', name: 'odd names' })
      assert.deepEqual(described.map((c) => [c.name, c.type]), [['a b.c', 'int64'], ['ts', 'timestamp'], ['tags', 'list']])
    })

    it('reports a bad query as bad input, not an internal error', async () => {
      await assert.rejects(opened.engine.query(sql`select * from ${sql.id('no_such_table')}`), (e: { kind?: string }) => e.kind === 'bad_input')
    })
  })
}

describe('duckdb: list parameters', () => {
  it('keeps the values of a list whose first element is null, and of mixed integers and decimals', async () => {
    const opened = await openTestDuckDb()
    try {
      const [row] = await opened.engine.query<{ a: unknown; b: unknown }>(sql`select ${[null, 1, 2]} as a, ${[1, 2.5]} as b`)
      assert.deepEqual(row, { a: [null, 1, 2], b: [1, 2.5] })
    } finally {
      await opened.dispose()
    }
  })
})
