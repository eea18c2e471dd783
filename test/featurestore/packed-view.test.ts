import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { Value } from '../../src/engines/index.js'
import { encodeEntityKey, encodeFeatureValues } from '../../src/featurestore/online/keys.js'
import { wins } from '../../src/featurestore/online/online-store.js'
import { getManyTogether, PackedStore, PackedView } from '../../src/featurestore/online/packed-view.js'

const value: fc.Arbitrary<Value> = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 })) as fc.Arbitrary<Value>
// Few keys (many replacements: compaction) or many (the slot table grows); any characters.
const key = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 3000 }), fc.string({ unit: 'binary', maxLength: 6 }))
  .map((k) => encodeEntityKey([k])!)
const put = fc.record({
  /** Which of the store's views it goes to. */
  view: fc.integer({ min: 0, max: 2 }),
  /** After this put: lay the store out again, or drop the view and start a new one in its place (each one put in a hundred). */
  then: fc.integer({ min: 0, max: 99 }).map((n) => (n === 0 ? 'compact' : n === 1 ? 'drop' : undefined)),
  key,
  values: fc.array(value, { maxLength: 4 }),
  eventTs: fc.integer({ min: 0, max: 5 }),
  createdTs: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
})

/** What each feature reads as, through the bounds the renderer copies by. */
function features(stored: ReturnType<PackedView['get']>): string[] {
  if (!stored) return []
  return Array.from({ length: stored.count - 1 }, (_, k) =>
    stored.buffer.toString('utf8', stored.bounds[stored.first + k]! + 1, stored.bounds[stored.first + k + 1]!))
}

describe('packed view (the embedded online cache of one view version)', () => {
  it('holds, per view and key, what a map applying the newer-wins rule holds, through growth, compactions and dropped views', () => {
    fc.assert(fc.property(fc.array(put, { minLength: 1, maxLength: 4000, size: 'max' }), (puts) => {
      // Three views in one store (as the embedded cache holds them), and one in a store of its own.
      const store = new PackedStore('store')
      const views = [new PackedView('v@1', store), new PackedView('v@2', store), new PackedView('w@1')]
      const references = views.map(() => new Map<string, { json: string; eventTs: number; createdTs: number | null }>())
      for (const p of puts) {
        const json = encodeFeatureValues(p.values)
        views[p.view]!.putIfNewer(p.key, json, p.eventTs, p.createdTs)
        const reference = references[p.view]!
        const held = reference.get(p.key)
        if (!held || wins(p, json, held, () => Buffer.from(held.json))) reference.set(p.key, { json, eventTs: p.eventTs, createdTs: p.createdTs })
        if (p.then === 'compact') store.compact()
        if (p.then === 'drop') {
          views[p.view]!.drop()
          views[p.view] = new PackedView('again', views[p.view]!.store)
          reference.clear()
        }
      }
      views.forEach((view, v) => {
        const reference = references[v]!
        assert.equal(view.size, reference.size)
        for (const [key, held] of reference) {
          const stored = view.get(key)!
          assert.equal(stored.buffer.toString('utf8', stored.start, stored.end), held.json)
          assert.deepEqual(stored.values, JSON.parse(held.json))
          assert.deepEqual(features(stored), (JSON.parse(held.json) as unknown[]).map((v) => JSON.stringify(v)))
          assert.equal(stored.eventTs, held.eventTs)
          assert.equal(stored.createdTs, held.createdTs)
        }
        assert.equal(view.get(encodeEntityKey(['not stored'])!), undefined)
        // Many at once: the same records, keys in colliding slots and keys only other views hold among them.
        const asked = [...new Set(references.flatMap((r) => [...r.keys()]))].concat(encodeEntityKey(['not stored'])!).concat(null as never)
        const record = (s: ReturnType<PackedView['get']>) => s && [s.start, s.end, s.eventTs]
        assert.deepEqual(view.getMany(asked).map(record), asked.map((k) => (k === null ? undefined : record(view.get(k)))))
        for (const k of asked) if (k !== null && !reference.has(k)) assert.equal(view.get(k), undefined)
      })
      // Several views at once, some asking the same keys (read together, each entity once), some not.
      const keys = [...new Set(references.flatMap((r) => [...r.keys()]))].concat(null as never)
      const fewer = keys.slice(1)
      const asked = [views[0]!, views[2]!, views[1]!, views[0]!, views[1]!]
      const askedKeys = [keys, keys, keys, fewer, fewer]
      const record = (s: ReturnType<PackedView['get']>) => s && [s.start, s.end, s.eventTs]
      assert.deepEqual(getManyTogether(asked, askedKeys).map((found) => found.map(record)),
        asked.map((view, l) => askedKeys[l]!.map((k) => (k === null ? undefined : record(view.get(k))))))
    }), { numRuns: 20 })
  })

  it('keeps the same value of a key whatever order its puts arrive in (the tie-break is total)', () => {
    const tied = fc.record({ values: fc.array(value, { maxLength: 2 }), eventTs: fc.integer({ min: 0, max: 1 }), createdTs: fc.option(fc.integer({ min: 0, max: 1 }), { nil: null }) })
    fc.assert(fc.property(fc.array(tied, { minLength: 1, maxLength: 12 }).chain((puts) => fc.tuple(fc.constant(puts), fc.shuffledSubarray(puts, { minLength: puts.length }))), ([puts, reordered]) => {
      const kept = [puts, reordered].map((order) => {
        const view = new PackedView('v@1')
        for (const p of order) view.putIfNewer('["n:1"]', encodeFeatureValues(p.values), p.eventTs, p.createdTs)
        const stored = view.get('["n:1"]')!
        return [stored.eventTs, stored.createdTs, stored.buffer.toString('utf8', stored.start, stored.end)]
      })
      assert.deepEqual(kept[1], kept[0])
    }), { numRuns: 500 })
  })

  it('moves records through compactions whole, and leaves a value read before one as it was read', () => {
    const view = new PackedView('v@1')
    view.putIfNewer('["n:1"]', '[1.5,"a"]', 1, null)
    view.putIfNewer('["n:2"]', '[true,{"x":[1,2]},"c,d"]', 1, 7)
    const before = view.get('["n:1"]')!
    // Replacing one key over and over leaves dead records until a compaction copies the live ones.
    for (let ts = 2; ts < 5000; ts++) view.putIfNewer('["n:1"]', `[${ts},"b"]`, ts, null)
    assert.deepEqual(before.values, [1.5, 'a'])
    assert.deepEqual(features(before), ['1.5', '"a"'])
    assert.deepEqual(features(view.get('["n:1"]')), ['4999', '"b"'])
    const moved = view.get('["n:2"]')!
    assert.deepEqual(features(moved), ['true', '{"x":[1,2]}', '"c,d"'])
    assert.deepEqual([moved.eventTs, moved.createdTs], [1, 7])
  })

  it("reuses a dropped view's number only once its records are gone", () => {
    const store = new PackedStore('store')
    const first = new PackedView('first', store)
    first.putIfNewer('["n:1"]', '[1]', 1, null)
    first.drop()
    // Every other number in use: the next view takes the dropped one, which compacts the store first.
    for (let n = 1; n < 0x10000; n++) new PackedView(`v${n}`, store)
    const reused = new PackedView('reused', store)
    assert.equal(reused.id, first.id)
    assert.equal(reused.get('["n:1"]'), undefined)
    assert.throws(() => new PackedView('one too many', store), /holds 65536 view versions/)
  })

  it('finds every one of many keys as the slot table grows', () => {
    const view = new PackedView('v@1')
    const keys = Array.from({ length: 20_000 }, (_, i) => encodeEntityKey([i % 2 ? i : `é${i}`])!)
    keys.forEach((k, i) => view.putIfNewer(k, `[${i}]`, 1, null))
    assert.equal(view.size, keys.length)
    keys.forEach((k, i) => assert.deepEqual(view.get(k)!.values, [i]))
  })
})
