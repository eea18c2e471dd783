import type { OnlineLookup, StoredValue } from './online-store.js'
import { getManyTogether, PackedStore, PackedView } from './packed-view.js'

/** What the near-cache holds for one lookup's keys. */
export interface CachedLookup {
  /** Per key: its cached value; undefined for a null key, a key cached as not found, or a key in `missing`. */
  readonly found: (StoredValue | undefined)[]
  /** The positions of the keys the cache does not hold. */
  readonly missing: readonly number[]
  /** How many keys the cache answered. */
  readonly hits: number
  /** The generation of the view's cached entries (undefined: none cached). */
  readonly generation: number | undefined
}

/**
 * The values of one view version this process has read, all at one generation: packed, as the
 * embedded cache holds them (no JavaScript object per entity, so a large cache does not slow
 * the collector), and the keys read and not found (NOT_FOUND is cached too).
 */
interface CachedView {
  readonly generation: number
  readonly values: PackedView
  readonly absent: Set<string>
}

/**
 * The server-mode online store's in-process cache (`PostgresOnlineStore` states the promise it
 * keeps). Each view version's entries were all read at one generation, the counter every write of
 * the view bumps in its transaction; a committed write is announced (by its notification, or by
 * this process's own write) and drops the view's entries of older generations. Entries are
 * cached and served only while notifications cannot be missed (`listening`): losing or regaining
 * the listener drops everything, and a read that started in another listener session fills
 * nothing.
 *
 * Bounded by `maxEntries` over all views: a fill that goes beyond drops whole views, the least
 * recently created first (never a part of a view, so a view's entries stay one generation), and
 * at last the view being filled itself.
 */
export class NearCache {
  /** Every cached view's values, in one store keyed by entity (`PackedStore`). */
  private store = new PackedStore('the online near-cache')
  private readonly views = new Map<string, CachedView>()
  /** Per view version, the newest generation a committed write announced. */
  private readonly announced = new Map<string, number>()
  private size = 0
  private listening = false
  /** Bumped whenever listening starts or stops: a read's ticket from another session is stale. */
  private session = 0
  private hitCount = 0
  private fillCount = 0

  constructor(private readonly maxEntries: number) {}

  get hits(): number {
    return this.hitCount
  }

  get fills(): number {
    return this.fillCount
  }

  setListening(up: boolean): void {
    this.listening = up
    this.session++
    this.store = new PackedStore('the online near-cache')
    this.views.clear()
    this.announced.clear()
    this.size = 0
  }

  /** A write of `view` committed at `generation`. */
  announce(view: string, generation: number): void {
    if (generation > (this.announced.get(view) ?? 0)) this.announced.set(view, generation)
    const cached = this.views.get(view)
    if (cached && cached.generation < generation) this.drop(view)
  }

  /**
   * What the cache holds for `lookups` (`views[i]` names lookup i's view version), or undefined
   * while nothing may be served from it. Each view's cached entries were read at one generation:
   * the caller reads the missing keys with the view's current generation and may combine the two
   * only when the generations are equal (`CachedLookup`).
   */
  lookup(lookups: readonly OnlineLookup[], views: readonly string[]): CachedLookup[] | undefined {
    if (!this.listening) return undefined
    const cachedViews = views.map((view) => this.views.get(view))
    const read = getManyTogether(cachedViews.map((cached) => cached?.values), lookups.map((l) => l.keys))
    return lookups.map(({ keys }, i) => {
      const cached = cachedViews[i]
      const found = read[i]!
      const missing: number[] = []
      let hits = 0
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k]!
        if (key === null) continue
        if (found[k] !== undefined || cached?.absent.has(key)) hits++
        else missing.push(k)
      }
      return { found, missing, hits, generation: cached?.generation }
    })
  }

  /** Counts keys answered from memory (a lookup's hits, unless its view had to be read again). */
  countHits(n: number): void {
    this.hitCount += n
  }

  /** Taken before a database read; `fill` accepts the read's answer only in the same listener session. */
  ticket(): number | undefined {
    return this.listening && this.maxEntries > 0 ? this.session : undefined
  }

  /**
   * Caches what a read found for `keys` of `view` (undefined: not found), read together with the
   * view's `generation` in one snapshot. Skipped when a newer generation was announced or cached
   * already: the read raced a write whose notification came first.
   */
  fill(ticket: number, view: string, generation: number, keys: readonly (string | null)[], found: readonly (StoredValue | undefined)[]): void {
    if (ticket !== this.session || generation < (this.announced.get(view) ?? 0)) return
    let cached = this.views.get(view)
    if (cached && cached.generation > generation) return
    if (!cached || cached.generation < generation) {
      if (cached) this.drop(view)
      cached = { generation, values: new PackedView(`feature view ${view}`, this.store), absent: new Set() }
      this.views.set(view, cached)
    }
    const before = entrySize(cached)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      const value = found[i]
      if (key === null || key === undefined) continue
      if (value) cached.values.putIfNewer(key, value.buffer.subarray(value.start, value.end), value.eventTs, value.createdTs)
      else cached.absent.add(key)
    }
    this.size += entrySize(cached) - before
    this.fillCount++
    if (this.size > this.maxEntries) this.evict(view)
  }

  private evict(filling: string): void {
    for (const view of this.views.keys()) {
      if (this.size <= this.maxEntries) return
      if (view !== filling) this.drop(view)
    }
    if (this.size > this.maxEntries) this.drop(filling)
  }

  private drop(view: string): void {
    const cached = this.views.get(view)
    if (!cached) return
    this.size -= entrySize(cached)
    cached.values.drop()
    this.views.delete(view)
  }
}

function entrySize(view: CachedView): number {
  return view.values.size + view.absent.size
}
