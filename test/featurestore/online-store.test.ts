import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { openMetadataStore } from '../../src/metadata/index.js'
import { encodeEntityKey } from '../../src/featurestore/online/keys.js'
import { openOnlineStore } from '../../src/featurestore/online/open-online-store.js'
import type { OnlineRecord, OnlineStore } from '../../src/featurestore/online/online-store.js'
import { ENGINES, type OpenedEngine } from '../helpers/engines.js'

const ref = { view: 'driver_stats', version: 1 }
const key = (...parts: (string | number | bigint | null)[]) => encodeEntityKey(parts)!
const record = (k: string, values: unknown[], eventTs: number, createdTs: number | null = null): OnlineRecord =>
  ({ key: k, values: values as OnlineRecord['values'], eventTs, createdTs })

describe('entity key encoding', () => {
  it('compares by value and type, composite keys as tuples', () => {
    assert.notEqual(key('1'), key(1))
    assert.equal(key(1001), key(1001n))
    assert.notEqual(key(1, 12), key(11, 2))
    assert.equal(encodeEntityKey([1, null]), null)
    assert.equal(encodeEntityKey([]), '[]')
  })

  it('writes the JSON list of its typed parts, as keys already stored were written', () => {
    // The format keys are stored in: a change would orphan every materialized value.
    const part = (v: unknown) => typeof v === 'string' ? `s:${v}` : typeof v === 'boolean' ? `b:${v}`
      : typeof v === 'bigint' ? `n:${v}` : Number.isInteger(v) ? `n:${BigInt(v as number)}` : `n:${v}`
    const scalar = fc.oneof(fc.string(), fc.boolean(), fc.bigInt(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(1e21), fc.constant(-(2 ** 60)))
    fc.assert(fc.property(fc.array(scalar, { maxLength: 3 }), (parts) => {
      assert.equal(encodeEntityKey(parts), JSON.stringify(parts.map(part)))
    }), { numRuns: 2000 })
  })
})

for (const target of ENGINES) {
  describe(`${target.kind}: online store`, { skip: target.skip }, () => {
    let opened: OpenedEngine
    let store: OnlineStore
    let reopen: () => OnlineStore
    before(async () => {
      opened = await target.open()
      const metadata = await openMetadataStore(opened.engine)
      reopen = () => openOnlineStore(metadata, 'proj')
      store = reopen()
    })
    after(async () => { await opened?.dispose() })

    const readOne = async (s: OnlineStore, keys: (string | null)[], r = ref) => (await s.read([{ ref: r, keys }]))[0]!

    it('newer wins, ties go to the later created timestamp, and rewrites are idempotent', async () => {
      await store.write([{ ref, records: [record(key(1), [0.5, 10], 100), record(key(2), [0.1, 1], 100, 5)] }])
      // older event: ignored; same event + newer created: replaces; same event + null created: ignored
      const stats = await store.write([{ ref, records: [record(key(1), [0.9, 99], 50), record(key(2), [0.2, 2], 100, 6)] }])
      assert.deepEqual(stats, [{ written: 1 }])
      await store.write([{ ref, records: [record(key(2), [0.3, 3], 100, null)] }])
      for (const s of [store, reopen()]) { // the cache and a fresh fill from the table agree
        const [a, b] = await readOne(s, [key(1), key(2)])
        assert.deepEqual(a!.values, [0.5, 10])
        assert.deepEqual(b!.values, [0.2, 2])
      }
      await store.write([{ ref, records: [record(key(1), [0.5, 10], 100)] }])
      assert.deepEqual((await readOne(reopen(), [key(1)]))[0]!.values, [0.5, 10])
      const fresh = reopen()
      await readOne(fresh, [key(1), key(2)])
      await readOne(fresh, [key(1)])
      // PostgreSQL's cache starts with its LISTEN session (online-near-cache.test.ts).
      if (target.kind === 'duckdb') assert.deepEqual(fresh.cacheStats(), { hits: 3, fills: 1 })
    })

    it('breaks a tie of equal timestamps by the features’ UTF-8 bytes, whichever is written first, in the cache and the table', async () => {
      const r = { view: 'ties', version: 1 }
      // U+FFFD sorts after 😀 as UTF-16 (0xFFFD > 0xD83D) but before it as UTF-8 (EF… < F0…).
      const low = record(key(1), ['\uFFFD'], 5, 2)
      const high = record(key(1), ['😀'], 5, 2)
      await store.write([{ ref: r, records: [low] }])
      await store.write([{ ref: r, records: [high] }])
      await store.write([{ ref: r, records: [{ ...low, key: key(2) }] }, { ref: { view: 'ties', version: 2 }, records: [high, low] }])
      await store.write([{ ref: r, records: [{ ...high, key: key(2) }] }, { ref: { view: 'ties', version: 2 }, records: [low, high] }])
      for (const s of [store, reopen()]) {
        assert.deepEqual((await readOne(s, [key(1), key(2)], r)).map((v) => v!.values), [['😀'], ['😀']])
        assert.deepEqual((await readOne(s, [key(1)], { view: 'ties', version: 2 }))[0]!.values, ['😀'])
      }
    })

    it('writes the views of one call all or nothing', async () => {
      const [a, b] = [{ view: 'atomic_a', version: 1 }, { view: 'atomic_b', version: 1 }]
      await store.write([{ ref: a, records: [record(key(1), ['before'], 1)] }])
      // The second view's row is refused by the database (an event time that is no number).
      await assert.rejects(store.write([{ ref: a, records: [record(key(1), ['after'], 2)] }, { ref: b, records: [record(key(1), ['after'], Number.NaN)] }]))
      for (const s of [store, reopen()]) {
        assert.deepEqual((await readOne(s, [key(1)], a))[0]!.values, ['before'])
        assert.equal((await readOne(s, [key(1)], b))[0], undefined)
      }
    })

    it('keeps the string "7" and the number 7 apart, and composite keys as tuples', async () => {
      const r = { view: 'trips', version: 1 }
      await store.write([{ ref: r, records: [record(key('7'), ['string'], 1), record(key(7), ['number'], 1), record(key(1, 12), ['a'], 1), record(key(11, 2), ['b'], 1)] }])
      for (const s of [store, reopen()]) {
        const got = await readOne(s, [key('7'), key(7), key(1, 12), key(11, 2), key(1, 2), null], r)
        assert.deepEqual(got.map((g) => g?.values[0]), ['string', 'number', 'a', 'b', undefined, undefined])
      }
    })

    it('answers several views in one read, with shared and separate key arrays, keys with newlines and tabs', async () => {
      const r = { view: 'tabs', version: 1 }
      const odd = key('a\nb\tc', '"\\')
      await store.write([{ ref: r, records: [record(odd, ['odd\n\t'], 1, 3), record(key(2), ['two'], 2)] }])
      const shared = [key(2), null, odd]
      for (const s of [store, reopen()]) {
        const [first, second, third, fourth] = await s.read([
          { ref: r, keys: shared }, { ref, keys: [key(2), key(1)] }, { ref: r, keys: shared }, { ref: r, keys: [null, null] },
        ])
        for (const got of [first!, third!]) {
          assert.deepEqual(got.map((g) => g?.values[0]), ['two', undefined, 'odd\n\t'])
          assert.deepEqual(got.map((g) => g && [g.eventTs, g.createdTs]), [[2, null], undefined, [1, 3]])
        }
        assert.deepEqual(second!.map((g) => g?.values[0]), [0.2, 0.5])
        assert.deepEqual(fourth, [undefined, undefined])
      }
    })

    it('keeps versions apart and stores bigints, bytes, lists and nulls', async () => {
      const v2 = { view: 'driver_stats', version: 2 }
      await store.write([{ ref: v2, records: [record(key(1), [2n ** 60n, new Uint8Array([1, 2]), [1, 2], null], 7)] }])
      const [got] = await readOne(reopen(), [key(1)], v2)
      assert.deepEqual(got!.values, [(2n ** 60n).toString(), 'AQI=', [1, 2], null])
      assert.deepEqual((await readOne(reopen(), [key(1)]))[0]!.values, [0.5, 10])
    })

    it('a reader during a write sees the old or the new state of a view, never a mix', async () => {
      const r = { view: 'swap', version: 1 }
      const n = 3000
      const keys = Array.from({ length: n }, (_, i) => key(i))
      await store.write([{ ref: r, records: keys.map((k) => record(k, ['old'], 1)) }])
      const reader = reopen()
      await readOne(reader, keys, r) // fills its cache before the write
      const seen = new Set<string>()
      let writing = true
      const write = store.write([{ ref: r, records: keys.map((k) => record(k, ['new'], 2)) }]).finally(() => { writing = false })
      const readers = [store, reader, reopen()]
      while (writing) {
        await new Promise((resolve) => setImmediate(resolve)) // cache reads never yield to I/O on their own
        for (const s of readers) {
          const states = new Set((await readOne(s, keys, r)).map((v) => v!.values[0] as string))
          assert.equal(states.size, 1, `mixed state: ${[...states].join(', ')}`)
          seen.add([...states][0]!)
        }
      }
      await write
      assert.deepEqual(new Set((await readOne(store, keys, r)).map((v) => v!.values[0])), new Set(['new']))
      assert.ok(seen.size >= 1)
    })
  })
}
