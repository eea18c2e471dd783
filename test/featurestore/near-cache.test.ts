import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { NearCache } from '../../src/featurestore/online/near-cache.js'
import { StoredValue } from '../../src/featurestore/online/online-store.js'

// The races of the server-mode cache, played in the order that is hard to provoke against a real
// database (online-near-cache.test.ts covers the same rules end to end).

const value = (text: string) => StoredValue.fromJson(JSON.stringify([text]), 1, null)
const lookup = (...keys: (string | null)[]) => [{ ref: { view: 'v', version: 1 }, keys }]
const views = ['v@1']
/** The cached texts of `keys`, when the cache holds every one. */
const texts = (cache: NearCache, ...keys: (string | null)[]) => {
  const [cached] = cache.lookup(lookup(...keys), views) ?? []
  return cached && cached.missing.length === 0 ? cached.found.map((v) => v?.values[0]) : undefined
}

function listening(maxEntries = 100): NearCache {
  const cache = new NearCache(maxEntries)
  cache.setListening(true)
  return cache
}

describe('near-cache', () => {
  it('answers the keys it holds, NOT_FOUND included, and names the missing ones with the generation of the rest', () => {
    const cache = listening()
    cache.fill(cache.ticket()!, 'v@1', 3, ['a', 'b', null], [value('A'), undefined, undefined])
    assert.deepEqual(texts(cache, 'a', 'b', null), ['A', undefined, undefined])
    const [partial] = cache.lookup(lookup('c', 'a', null, 'd'), views)!
    assert.deepEqual({ texts: partial!.found.map((v) => v?.values[0]), missing: partial!.missing, hits: partial!.hits, generation: partial!.generation },
      { texts: [undefined, 'A', undefined, undefined], missing: [0, 3], hits: 1, generation: 3 })
    assert.equal(cache.lookup(lookup('a'), ['w@1'])![0]!.generation, undefined)
    assert.equal(cache.fills, 1)
  })

  it('does not fill from a read that saw an older generation than one announced', () => {
    const cache = listening()
    const ticket = cache.ticket()!
    cache.announce('v@1', 2) // the notification overtook the read's answer
    cache.fill(ticket, 'v@1', 1, ['a'], [value('old')])
    assert.equal(texts(cache, 'a'), undefined)
    cache.fill(ticket, 'v@1', 2, ['a'], [value('new')])
    assert.deepEqual(texts(cache, 'a'), ['new'])
  })

  it('keeps one generation per view: a newer fill replaces the entries, an older one is ignored', () => {
    const cache = listening()
    cache.fill(cache.ticket()!, 'v@1', 1, ['a'], [value('a1')])
    cache.fill(cache.ticket()!, 'v@1', 2, ['b'], [value('b2')]) // a read that saw a commit before its notification came
    assert.equal(texts(cache, 'a', 'b'), undefined)
    cache.fill(cache.ticket()!, 'v@1', 1, ['a'], [value('a1')])
    assert.equal(texts(cache, 'a'), undefined)
    cache.announce('v@1', 2) // that commit's notification: the entries are already of its generation
    assert.deepEqual(texts(cache, 'b'), ['b2'])
    cache.announce('v@1', 3)
    assert.equal(texts(cache, 'b'), undefined)
  })

  it('caches nothing without a listener, and nothing from a read begun in an earlier listener session', () => {
    const cache = new NearCache(100)
    assert.equal(cache.ticket(), undefined)
    cache.setListening(true)
    const ticket = cache.ticket()!
    cache.fill(ticket, 'v@1', 1, ['a'], [value('A')])
    cache.setListening(false)
    assert.equal(texts(cache, 'a'), undefined)
    cache.setListening(true)
    cache.fill(ticket, 'v@1', 1, ['a'], [value('A')])
    assert.equal(texts(cache, 'a'), undefined)
    assert.equal(new NearCache(0).ticket(), undefined)
  })

  it('drops whole views, the oldest first, to stay within its bound', () => {
    const cache = listening(4)
    const t = cache.ticket()!
    cache.fill(t, 'x@1', 1, ['a', 'b'], [value('a'), value('b')])
    cache.fill(t, 'v@1', 1, ['a', 'b'], [value('a'), value('b')])
    cache.fill(t, 'y@1', 1, ['a'], [value('a')]) // 5 > 4: x goes
    assert.deepEqual(cache.lookup(lookup('a'), ['x@1'])![0]!.missing, [0])
    assert.deepEqual(texts(cache, 'a', 'b'), ['a', 'b'])
    cache.fill(t, 'v@1', 1, ['c', 'd', 'e'], [value('c'), value('d'), value('e')]) // v alone holds 5: y, then v go
    assert.equal(texts(cache, 'a'), undefined)
    assert.deepEqual(cache.lookup(lookup('a'), ['y@1'])![0]!.missing, [0])
  })
})
