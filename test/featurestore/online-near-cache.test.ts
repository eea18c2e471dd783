import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { once } from 'node:events'
import { sql } from 'kysely'
import { PostgresEngine } from '../../src/engines/index.js'
import { openMetadataStore, type MetadataStore } from '../../src/metadata/index.js'
import { encodeEntityKey } from '../../src/featurestore/online/keys.js'
import { openOnlineStore } from '../../src/featurestore/online/open-online-store.js'
import type { OnlineLookup, OnlineRecord, OnlineStore, StoredValue } from '../../src/featurestore/online/online-store.js'
import { openTestPostgres, PG_SKIP_REASON, PG_URL, type OpenedEngine } from '../helpers/engines.js'

// The server-mode near-cache (PostgresOnlineStore): two replicas, each with its own engine (pool
// and LISTEN session) on one schema, as two `asof serve` processes on one database.

const key = (n: number) => encodeEntityKey([n])!
const keys = (from: number, count: number) => Array.from({ length: count }, (_, i) => key(from + i))
const record = (k: string, values: unknown[], eventTs: number): OnlineRecord => ({ key: k, values: values as OnlineRecord['values'], eventTs, createdTs: null })
const shape = (answer: (StoredValue | undefined)[][]) => answer.map((view) => view.map((v) => v && [v.values, v.eventTs, v.createdTs]))

/** Polls `check` until it holds; fails after `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Reads until an answer comes from memory: the store's LISTEN session is up and `lookups` are cached. */
async function warm(store: OnlineStore, lookups: readonly OnlineLookup[]): Promise<void> {
  await until('answered from the cache', async () => {
    const hits = store.cacheStats().hits
    await store.read(lookups)
    return store.cacheStats().hits > hits
  })
}

/** Whether one read of `lookups` was answered from memory. */
async function servedFromCache(store: OnlineStore, lookups: readonly OnlineLookup[]): Promise<boolean> {
  const hits = store.cacheStats().hits
  await store.read(lookups)
  return store.cacheStats().hits > hits
}

/**
 * A TCP proxy to PG_URL's server that can make the LISTEN sessions passing through it go silent:
 * bytes are dropped both ways and nothing is closed, as in a network partition.
 */
async function silenceableProxy(): Promise<{ port: number; silenceListeners(): void; close(): Promise<void> }> {
  const target = new URL(PG_URL!)
  const sockets = new Set<net.Socket>()
  const listeners: { silent: boolean }[] = []
  const server = net.createServer((inbound) => {
    const outbound = net.connect(Number(target.port || 5432), target.hostname)
    const pair = { silent: false }
    let first = true
    for (const s of [inbound, outbound]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => { inbound.destroy(); outbound.destroy() })
    }
    inbound.on('data', (chunk) => {
      // The startup message names the session: `asof listen <schema>` (PostgresEngine.listen).
      if (first && chunk.includes('asof listen')) listeners.push(pair)
      first = false
      if (!pair.silent) outbound.write(chunk)
    })
    outbound.on('data', (chunk) => { if (!pair.silent) inbound.write(chunk) })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as net.AddressInfo).port,
    silenceListeners: () => { for (const l of listeners) l.silent = true },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

describe('postgres: online near-cache', { skip: PG_SKIP_REASON }, () => {
  let opened: OpenedEngine
  let replicaEngine: PostgresEngine
  let metadata: MetadataStore
  let replicaMetadata: MetadataStore
  const stores: OnlineStore[] = []
  /** A store on the first engine (`writer`) or on the replica's. */
  const open = (on: 'writer' | 'replica', cacheEntries?: number) => {
    const store = openOnlineStore(on === 'writer' ? metadata : replicaMetadata, 'proj', { cacheEntries })
    stores.push(store)
    return store
  }
  const listeners = async (): Promise<number> => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where application_name = ${`asof listen ${opened.schema}`}`.execute(metadata.db)
    return rows[0]!.n
  }

  before(async () => {
    opened = await openTestPostgres()
    metadata = await openMetadataStore(opened.engine)
    replicaEngine = await PostgresEngine.open(PG_URL!, { schema: opened.schema })
    replicaMetadata = await openMetadataStore(replicaEngine)
  })
  after(async () => {
    for (const s of stores) await s.close()
    await replicaEngine?.close()
    await opened?.dispose()
  })

  it('answers from memory exactly what PostgreSQL answers, NOT_FOUND and null keys included', async () => {
    const a = { view: 'same_a', version: 1 }
    const b = { view: 'same_b', version: 2 }
    const writer = open('writer')
    await writer.write([{ ref: a, records: keys(0, 50).map((k, i) => record(k, [i, `a${i}`, null], 1000 + i)) }])
    await writer.write([{ ref: b, records: keys(25, 50).map((k, i) => ({ ...record(k, [[i], { x: i }], 7), createdTs: i })) }])
    const asked = [...keys(0, 100), null]
    const lookups = [{ ref: a, keys: asked }, { ref: b, keys: asked }, { ref: a, keys: asked.slice(10, 20) }]
    const cached = open('replica')
    await warm(cached, lookups)
    const fromMemory = await cached.read(lookups)
    const fromDatabase = await open('replica', 0).read(lookups)
    assert.deepEqual(shape(fromMemory), shape(fromDatabase))
    assert.equal(fromMemory[0]![99], undefined)
    assert.ok(cached.cacheStats().fills > 0)
  })

  it('a write through one replica is seen by another once its notification arrives', async () => {
    const ref = { view: 'replicated', version: 1 }
    const writer = open('writer')
    const reader = open('replica')
    const lookups = [{ ref, keys: keys(0, 10) }]
    await writer.write([{ ref, records: keys(0, 10).map((k) => record(k, ['old'], 1)) }])
    await warm(reader, lookups)
    await warm(writer, lookups)
    await writer.write([{ ref, records: [record(key(3), ['new'], 2)] }])
    assert.equal((await writer.read(lookups))[0]![3]!.values[0], 'new', 'a store sees its own write when the write returns')
    await until('the replica sees the write', async () => (await reader.read(lookups))[0]![3]!.values[0] === 'new')
    await warm(reader, lookups) // and caches again
    assert.deepEqual((await reader.read(lookups))[0]!.map((v) => v!.values[0]), ['old', 'old', 'old', 'new', 'old', 'old', 'old', 'old', 'old', 'old'])
  })

  it('caches NOT_FOUND, and a later write of that key replaces it', async () => {
    const ref = { view: 'absent', version: 1 }
    const writer = open('writer')
    const reader = open('replica')
    const lookups = [{ ref, keys: [key(1)] }]
    await warm(reader, lookups)
    assert.deepEqual(await reader.read(lookups), [[undefined]])
    await writer.write([{ ref, records: [record(key(1), ['here'], 1)] }])
    await until('the key is found', async () => (await reader.read(lookups))[0]![0]?.values[0] === 'here')
  })

  it('a reader during materializations sees each view at one generation, never a mix', async () => {
    const views = [{ view: 'swap_a', version: 1 }, { view: 'swap_b', version: 1 }]
    const n = 4000
    const all = keys(0, n)
    const writer = open('writer')
    const writeAll = (generation: number) => Promise.all(views.map((ref) => writer.write([{ ref, records: all.map((k) => record(k, [`g${generation}`], generation)) }])))
    await writeAll(0)
    const readers = [open('replica'), open('writer')]
    for (const r of readers) await warm(r, views.map((ref) => ({ ref, keys: all.slice(0, 100) })))
    const hitsBefore = readers.map((r) => r.cacheStats().hits)
    let writing = true
    const writes = (async () => {
      for (let g = 1; g <= 4; g++) await writeAll(g)
    })().finally(() => { writing = false })
    const seen = new Set<string>()
    let round = 0
    while (writing) {
      // Two halves of a window of keys, each filled by its own read, then the whole window: from
      // memory only if both halves were cached at one generation.
      const start = (round++ * 37) % (n - 200)
      const windows = [[start, start + 100], [start + 100, start + 200], [start, start + 200], [start, start + 200]]
      for (const r of readers) {
        for (const [from, to] of windows) {
          for (const view of await r.read(views.map((ref) => ({ ref, keys: all.slice(from, to) })))) {
            const states = new Set(view.map((v) => v!.values[0] as string))
            assert.equal(states.size, 1, `mixed state: ${[...states].join(', ')}`)
            seen.add([...states][0]!)
          }
        }
      }
    }
    await writes
    await until('every reader sees the last write', async () => {
      for (const r of readers) {
        const answer = await r.read(views.map((ref) => ({ ref, keys: all })))
        if (!answer.every((view) => view.every((v) => v!.values[0] === 'g4'))) return false
      }
      return true
    })
    assert.ok(seen.size >= 1)
    readers.forEach((r, i) => assert.ok(r.cacheStats().hits > hitsBefore[i]!, 'the readers answered from memory during the writes'))
  })

  it('holds at most the configured number of entries, dropping whole views', async () => {
    const a = { view: 'bound_a', version: 1 }
    const b = { view: 'bound_b', version: 1 }
    const writer = open('writer')
    await writer.write([{ ref: a, records: keys(0, 20).map((k) => record(k, ['a'], 1)) }])
    await writer.write([{ ref: b, records: keys(0, 20).map((k) => record(k, ['b'], 1)) }])
    const store = open('replica', 10)
    const eightOf = (ref: typeof a) => [{ ref, keys: keys(0, 8) }]
    await warm(store, eightOf(a))
    await warm(store, eightOf(b)) // 16 entries > 10: view a is dropped
    assert.equal(await servedFromCache(store, eightOf(b)), true)
    assert.equal(await servedFromCache(store, eightOf(a)), false)
    const twelve = [{ ref: a, keys: keys(0, 12) }] // more than the bound on its own: never cached
    await store.read(twelve)
    assert.equal(await servedFromCache(store, twelve), false)
    const off = open('replica', 0)
    await off.read(eightOf(a))
    assert.equal(await servedFromCache(off, eightOf(a)), false)
    assert.deepEqual(off.cacheStats(), { hits: 0, fills: 0 })
  })

  it('while its LISTEN session is lost, a store reads PostgreSQL, and caches again once it is back', async () => {
    const ref = { view: 'lost', version: 1 }
    const writer = open('writer')
    const reader = open('replica')
    const lookups = [{ ref, keys: [key(1)] }]
    await writer.write([{ ref, records: [record(key(1), ['before'], 1)] }])
    await warm(reader, lookups)
    // A change no notification announces: the cache keeps answering what it holds...
    await sql`update online_values set feature_values = '["unannounced"]' where view = ${ref.view}`.execute(metadata.db)
    assert.equal((await reader.read(lookups))[0]![0]!.values[0], 'before')
    // ...until the session is lost: then everything cached is dropped.
    const { rows } = await sql<{ killed: boolean }>`select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = ${`asof listen ${opened.schema}`}`.execute(metadata.db)
    assert.ok(rows.length > 0)
    await until('the reader reads PostgreSQL', async () => (await reader.read(lookups))[0]![0]!.values[0] === 'unannounced')
    await warm(reader, lookups)
  })

  /** Runs `use` with a store whose LISTEN session passes through a proxy that can silence it. */
  const withSilenceableReader = async (use: (reader: OnlineStore, silence: () => void) => Promise<void>) => {
    const proxy = await silenceableProxy()
    const url = new URL(PG_URL!)
    url.host = `127.0.0.1:${proxy.port}`
    const engine = await PostgresEngine.open(url.toString(), { schema: opened.schema })
    const reader = openOnlineStore(await openMetadataStore(engine), 'proj')
    try {
      await use(reader, () => proxy.silenceListeners())
    } finally {
      await reader.close()
      await engine.close()
      await proxy.close()
    }
  }

  it('a LISTEN session that goes silent (no FIN, no RST) counts as lost within seconds', async () => {
    await withSilenceableReader(async (reader, silence) => {
      const ref = { view: 'silent', version: 1 }
      const lookups = [{ ref, keys: [key(1)] }]
      await open('writer').write([{ ref, records: [record(key(1), ['before'], 1)] }])
      await warm(reader, lookups)
      await sql`update online_values set feature_values = '["unannounced"]' where view = ${ref.view}`.execute(metadata.db)
      silence()
      await until('the reader reads PostgreSQL', async () => (await reader.read(lookups))[0]![0]!.values[0] === 'unannounced', 10_000)
    })
  })

  it('combines cached and read values only when both are of one generation', async () => {
    // The reader's notifications are held back (as when they are still in flight), so it still
    // holds key 1 as of generation 1 when it reads key 2 at generation 2.
    await withSilenceableReader(async (reader, silence) => {
      const ref = { view: 'combined', version: 1 }
      const writer = open('writer')
      await writer.write([{ ref, records: [record(key(1), ['old'], 1), record(key(2), ['old'], 1)] }])
      await warm(reader, [{ ref, keys: [key(1)] }])
      silence()
      await writer.write([{ ref, records: [record(key(1), ['new'], 2), record(key(2), ['new'], 2)] }])
      const [answer] = await reader.read([{ ref, keys: [key(1), key(2)] }])
      assert.deepEqual(answer!.map((v) => v!.values[0]), ['new', 'new'])
    })
  })

  it('closing a store ends its LISTEN session', async () => {
    for (const s of stores.splice(0)) await s.close()
    await until('no LISTEN session is left', async () => (await listeners()) === 0)
    const store = open('writer')
    await warm(store, [{ ref: { view: 'closing', version: 1 }, keys: [key(1)] }])
    assert.equal(await listeners(), 1)
    await store.close()
    await until('the session ends', async () => (await listeners()) === 0)
  })

  it('a closed engine opens no LISTEN session, for a store that was still starting one', async () => {
    const engine = await PostgresEngine.open(PG_URL!, { schema: opened.schema })
    await engine.close()
    let heard = false
    const subscription = engine.listen('asof_online', { connected: () => { heard = true }, notify: () => { heard = true } })
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal(await listeners(), 0)
    assert.equal(heard, false)
    await subscription.close()
  })
})
