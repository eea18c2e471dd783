import { Errors } from '../../core/index.js'
import { featureValueBounds } from './keys.js'
import { StoredValue, wins } from './online-store.js'

/**
 * The stored values of feature view versions, packed into one byte arena and one slot table
 * keyed by entity, with no JavaScript object per entity. An embedded server holds every entity
 * of every online view in memory. As objects (a StoredValue, its JSON string, a Buffer of it, a
 * bounds array, a Map entry and a key string), 100k entities × 5 views took 300 MB of heap: V8
 * then spent long stretches marking the old generation, young collections of each request's
 * garbage ran 3× slower, and a lookup touched seven scattered places in memory (in a VM each
 * new page is a costly TLB miss).
 *
 * Keyed by entity, not by view: a request asks each entity's row of several views, and a store
 * per view put those rows megabytes apart, a slot miss and a record miss per view. Here an
 * entity's header (its key, and the first of its records) is followed by its records of every
 * view, side by side once `compact` has laid them out (measured: 100 entities × 5 views of
 * 100k, 230–280 µs → 70–73 µs, the five views read together by `getManyTogether`).
 *
 * An entity, 8-byte aligned: u32 key hash | u32 first record | u16 key length (UTF-16 units) |
 * the key (UTF-16). A record, 8-byte aligned: f64 event ts | f64 created ts (NaN: none) |
 * u32 next record of the same entity | u32 JSON length | u16 view | u16 bound count | the JSON
 * (UTF-8) | padding to 4 | the bounds (u32 offsets in the arena, `featureValueBounds`). Slots
 * (open addressing, linear probing) and links hold an offset / 8 + 1; 0 is none.
 *
 * Records are only appended: a replaced record stays (a StoredValue read before still reads
 * it) until `compact` copies the live ones into a new arena, entity by entity (`compactIfDue`).
 * The arena holds at most 2 GiB (offsets stay small integers in V8).
 */
export class PackedStore {
  // The arena and its views as f64, u32 and u16 (set together by `useArena`).
  private arena!: Buffer
  private f64!: Float64Array
  private u32!: Uint32Array
  private u16!: Uint16Array
  private used = 0
  private slots = new Int32Array(INITIAL_SLOTS)
  private entities = 0
  /** The next view number never handed out. */
  private nextView = 0
  /** View numbers dropped (their records are dead until `compact`), and those free again. */
  private readonly dropped = new Uint8Array(MAX_VIEWS)
  private droppedCount = 0
  private readonly free: number[] = []
  private live = 0
  private dead = 0
  /** Live records at the last `compact`, and records written since: those lie apart from their entities. */
  private laidOut = 0
  private appended = 0

  /** @param name what the store is called in errors. */
  constructor(private readonly name: string) {
    this.useArena(Buffer.allocUnsafe(INITIAL_BYTES))
  }

  /** A number for a new view (version) in this store: a dropped view's once its records are gone. */
  addView(): number {
    if (this.free.length === 0 && this.nextView === MAX_VIEWS && this.droppedCount > 0) this.compact()
    if (this.free.length > 0) return this.free.pop()!
    if (this.nextView === MAX_VIEWS) throw Errors.onlineCacheFull(`${this.name} holds ${MAX_VIEWS} view versions, the most it can`)
    return this.nextView++
  }

  /** Forgets view `view` and its `live` records: they are dead, and gone at the next `compact`. */
  dropView(view: number, live: number): void {
    this.dropped[view] = 1
    this.droppedCount++
    this.live -= live
    this.dead += live
    this.compactIfDue()
  }

  get(view: number, key: string): StoredValue | undefined {
    const slot = this.slots[this.slotOf(key, hashKey(key))]!
    return slot === 0 ? undefined : this.recordOf((slot - 1) * 8, view)
  }

  /**
   * `get` of each key (null: none) for each of `views` (`result[v][i]`: view `views[v]`, key i).
   * Over a large store nearly every slot and entity read is a cache miss, and one `get` after
   * another waits for each in turn. Here every key's first slot is read in one pass and every
   * entity it names in a second: the reads of a pass do not depend on each other, so the
   * processor has several misses in flight at once. Each entity's records are walked once for
   * all the views. A key not in its first slot (a collision) takes `get`'s probe.
   */
  getMany(views: readonly number[], keys: readonly (string | null)[]): (StoredValue | undefined)[][] {
    const slots = this.slots
    const mask = slots.length - 1
    const hashes = new Uint32Array(keys.length)
    const firstSlots = new Int32Array(keys.length)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      if (key === null || key === undefined) continue
      const hash = hashKey(key)
      hashes[i] = hash
      firstSlots[i] = slots[hash & mask]!
    }
    const found = views.map(() => new Array<StoredValue | undefined>(keys.length).fill(undefined))
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      let slot = firstSlots[i]!
      if (key === null || key === undefined || slot === 0) continue
      if (!this.holdsKey((slot - 1) * 8, key, hashes[i]!)) slot = this.slots[this.slotOf(key, hashes[i]!)]!
      if (slot === 0) continue
      // The entity's records, until every view asked has its own.
      let missing = views.length
      for (let at = this.u32[(((slot - 1) * 8) >> 2) + FIRST]!; at !== 0 && missing > 0;) {
        const r = (at - 1) * 8
        const view = this.u16[(r >> 1) + VIEW]!
        for (let v = 0; v < views.length; v++) {
          if (views[v] !== view) continue
          found[v]![i] = this.valueAt(r)
          missing--
        }
        at = this.u32[(r >> 2) + NEXT]!
      }
    }
    return found
  }

  /**
   * Stores `json` (the features' JSON array, as text or as its UTF-8 bytes) as `view`'s record of
   * `key` unless what is stored `wins` over it. Returns whether it was stored, and
   * whether it replaced a record of the view.
   */
  putIfNewer(view: number, key: string, json: string | Uint8Array, eventTs: number, createdTs: number | null): 'added' | 'replaced' | 'kept' {
    if (key.length > 0xffff) throw Errors.badInput(this.name, 'an entity key is longer than 65,535 characters')
    const hash = hashKey(key)
    const slot = this.slotOf(key, hash)
    let e: number
    if (this.slots[slot] === 0) {
      e = this.appendEntity(key, hash)
      this.slots[slot] = e / 8 + 1
      this.entities++
    } else e = (this.slots[slot]! - 1) * 8
    // The link to the view's record (a u32 index), or to where a new one goes: the end of the chain.
    let link = (e >> 2) + FIRST
    let held = -1
    for (let at = this.u32[link]!; at !== 0; at = this.u32[link]!) {
      const r = (at - 1) * 8
      if (this.u16[(r >> 1) + VIEW] === view) {
        held = r
        break
      }
      link = (r >> 2) + NEXT
    }
    if (held >= 0 && !wins({ eventTs, createdTs }, json, { eventTs: this.f64[held >> 3]!, createdTs: this.createdTs(held) }, () => this.jsonOf(held))) return 'kept'
    const r = this.appendRecord(view, json, eventTs, createdTs)
    // After the append, which may have moved the arena: indexes stay, arrays change.
    this.u32[(r >> 2) + NEXT] = held >= 0 ? this.u32[(held >> 2) + NEXT]! : 0
    this.u32[link] = r / 8 + 1
    if (held >= 0) this.dead++
    else this.live++
    this.appended++
    this.compactIfDue()
    if (2 * this.entities > this.slots.length) this.rehash(2 * this.slots.length)
    return held >= 0 ? 'replaced' : 'added'
  }

  /**
   * Copies the live records into a new arena, each entity's right after it, so that an entity's
   * rows of every view are read together (records appended later, as a view loaded after the
   * others, lie apart until then). Entities left with no live record are forgotten, and dropped
   * views' numbers are free again. The old arena is left as it is, for StoredValues already
   * read from it.
   */
  compact(): void {
    const old = { u32: this.u32, u16: this.u16, slots: this.slots }
    this.useArena(Buffer.allocUnsafe(align(Math.max(INITIAL_BYTES, this.used), 8)))
    this.used = 0
    this.dead = 0
    this.entities = 0
    this.slots = new Int32Array(old.slots.length)
    for (const slot of old.slots) {
      if (slot === 0) continue
      const e = (slot - 1) * 8
      const start = this.used
      const to = this.copy(old, e, align(e + ENTITY_HEADER + 2 * old.u16[(e >> 1) + KEY_LENGTH]!, 8))
      let link = (to >> 2) + FIRST
      for (let at = old.u32[(e >> 2) + FIRST]!; at !== 0; at = old.u32[(((at - 1) * 8) >> 2) + NEXT]!) {
        const r = (at - 1) * 8
        if (this.dropped[old.u16[(r >> 1) + VIEW]!]) continue
        const bounds = boundsStart(old.u32, r)
        const count = old.u16[(r >> 1) + BOUND_COUNT]!
        const moved = this.copy(old, r, align(bounds + 4 * count, 8))
        // Bounds are offsets in the arena: they move with their record.
        for (let b = (moved + bounds - r) >> 2, last = b + count; b < last; b++) this.u32[b] += moved - r
        this.u32[link] = moved / 8 + 1
        link = (moved >> 2) + NEXT
      }
      if (link === (to >> 2) + FIRST) {
        this.used = start // every record of the entity was dropped
        continue
      }
      this.u32[link] = 0
      this.place(to)
      this.entities++
    }
    for (let view = 0; view < this.nextView; view++) {
      if (!this.dropped[view]) continue
      this.dropped[view] = 0
      this.free.push(view)
    }
    this.droppedCount = 0
    this.laidOut = this.live
    this.appended = 0
  }

  /**
   * Compacts once dead records outnumber live ones (memory), or records written since the last
   * compaction outnumber those it laid out (the entities' rows lie apart): both at most double
   * what the store holds, so the copying stays in proportion to the writes.
   */
  private compactIfDue(): void {
    if ((this.dead > MIN_TO_COMPACT && this.dead > this.live) || (this.appended > MIN_TO_COMPACT && this.appended > this.laidOut)) this.compact()
  }

  /**
   * Copies `[from, to)` of the old arena (8-byte aligned) to the end of this one; returns where it
   * went. Word by word: a record is a few dozen words, and a native copy's call cost more.
   */
  private copy(old: { u32: Uint32Array }, from: number, to: number): number {
    this.reserve(to - from)
    const at = this.used
    const u32 = this.u32
    for (let w = from >> 2, last = to >> 2, d = at >> 2; w < last; w++, d++) u32[d] = old.u32[w]!
    this.used = at + to - from
    return at
  }

  /** The record of `view` among entity `e`'s. */
  private recordOf(e: number, view: number): StoredValue | undefined {
    const u32 = this.u32
    const u16 = this.u16
    for (let at = u32[(e >> 2) + FIRST]!; at !== 0;) {
      const r = (at - 1) * 8
      if (u16[(r >> 1) + VIEW] === view) return this.valueAt(r)
      at = u32[(r >> 2) + NEXT]!
    }
    return undefined
  }

  /** Record `r`'s JSON, as UTF-8 bytes in the arena. */
  private jsonOf(r: number): Uint8Array {
    const json = r + RECORD_HEADER
    return this.arena.subarray(json, json + this.u32[(r >> 2) + JSON_LENGTH]!)
  }

  private valueAt(r: number): StoredValue {
    const json = r + RECORD_HEADER
    return new StoredValue(
      this.arena, json, json + this.u32[(r >> 2) + JSON_LENGTH]!, this.u32, boundsStart(this.u32, r) >> 2,
      this.u16[(r >> 1) + BOUND_COUNT]!, this.f64[r >> 3]!, this.createdTs(r),
    )
  }

  /** The slot holding `key`'s entity, or the empty slot where it would go. */
  private slotOf(key: string, hash: number): number {
    const slots = this.slots
    const mask = slots.length - 1
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = slots[i]!
      if (slot === 0 || this.holdsKey((slot - 1) * 8, key, hash)) return i
    }
  }

  private holdsKey(e: number, key: string, hash: number): boolean {
    if (this.u32[e >> 2] !== hash) return false
    const u16 = this.u16
    const at = (e + ENTITY_HEADER) >> 1
    if (u16[(e >> 1) + KEY_LENGTH] !== key.length) return false
    for (let c = 0; c < key.length; c++) if (u16[at + c] !== key.charCodeAt(c)) return false
    return true
  }

  private createdTs(r: number): number | null {
    const created = this.f64[(r >> 3) + 1]!
    return Number.isNaN(created) ? null : created
  }

  /** Writes an entity with no records at the end of the arena; returns its offset. */
  private appendEntity(key: string, hash: number): number {
    this.reserve(ENTITY_HEADER + 2 * key.length + 8)
    const e = this.used
    this.u32[e >> 2] = hash
    this.u32[(e >> 2) + FIRST] = 0
    this.u16[(e >> 1) + KEY_LENGTH] = key.length
    this.arena.write(key, e + ENTITY_HEADER, 'utf16le')
    this.used = align(e + ENTITY_HEADER + 2 * key.length, 8)
    return e
  }

  /** Writes a record, linked to nothing yet, at the end of the arena; returns its offset. */
  private appendRecord(view: number, json: string | Uint8Array, eventTs: number, createdTs: number | null): number {
    const jsonLength = typeof json === 'string' ? Buffer.byteLength(json) : json.length
    // At most: header, JSON, and a bound per JSON byte plus one, with padding.
    this.reserve(RECORD_HEADER + 5 * jsonLength + 16)
    const r = this.used
    const jsonAt = r + RECORD_HEADER
    if (typeof json === 'string') this.arena.write(json, jsonAt, jsonLength, 'utf8')
    else this.arena.set(json, jsonAt)
    const bounds = featureValueBounds(this.arena, jsonAt, jsonAt + jsonLength)
    if (bounds.length > 0xffff) throw Errors.badInput(this.name, 'a row has more than 65,534 features')
    this.u32[(r >> 2) + JSON_LENGTH] = jsonLength
    const boundsAt = boundsStart(this.u32, r)
    this.u32.set(bounds, boundsAt >> 2)
    this.f64[r >> 3] = eventTs
    this.f64[(r >> 3) + 1] = createdTs ?? NaN
    this.u16[(r >> 1) + VIEW] = view
    this.u16[(r >> 1) + BOUND_COUNT] = bounds.length
    this.used = align(boundsAt + 4 * bounds.length, 8)
    return r
  }

  /** Room for `bytes` more bytes in the arena. */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.arena.length) return
    if (this.used + bytes > MAX_BYTES) {
      throw Errors.onlineCacheFull(`${this.name} would hold more than 2 GiB; serve it in server mode (ASOF_DATABASE_URL)`)
    }
    const arena = Buffer.allocUnsafe(align(Math.min(MAX_BYTES, Math.max(2 * this.arena.length, this.used + bytes)), 8))
    this.arena.copy(arena, 0, 0, this.used)
    this.useArena(arena)
  }

  private useArena(arena: Buffer): void {
    this.arena = arena
    this.f64 = new Float64Array(arena.buffer, arena.byteOffset, arena.length >> 3)
    this.u32 = new Uint32Array(arena.buffer, arena.byteOffset, arena.length >> 2)
    this.u16 = new Uint16Array(arena.buffer, arena.byteOffset, arena.length >> 1)
  }

  /** The same entities in a table of `size` slots. */
  private rehash(size: number): void {
    const old = this.slots
    this.slots = new Int32Array(size)
    for (const slot of old) if (slot !== 0) this.place((slot - 1) * 8)
  }

  /** Puts entity `e` in the first free slot from its hash's. */
  private place(e: number): void {
    const slots = this.slots
    const mask = slots.length - 1
    let i = this.u32[e >> 2]! & mask
    while (slots[i] !== 0) i = (i + 1) & mask
    slots[i] = e / 8 + 1
  }
}

/** One view version's records in a PackedStore: its own store unless it shares one. */
export class PackedView {
  /** Its number in `store`. */
  readonly id: number
  private live = 0

  /** @param name what the view is called in errors. */
  constructor(name: string, readonly store: PackedStore = new PackedStore(name)) {
    this.id = store.addView()
  }

  get size(): number {
    return this.live
  }

  get(key: string): StoredValue | undefined {
    return this.store.get(this.id, key)
  }

  getMany(keys: readonly (string | null)[]): (StoredValue | undefined)[] {
    return this.store.getMany([this.id], keys)[0]!
  }

  putIfNewer(key: string, json: string | Uint8Array, eventTs: number, createdTs: number | null): void {
    if (this.store.putIfNewer(this.id, key, json, eventTs, createdTs) === 'added') this.live++
  }

  /** Forgets the view's records (a shared store's room is taken back at its next compaction); the view is not used again. */
  drop(): void {
    this.store.dropView(this.id, this.live)
  }
}

const INITIAL_BYTES = 64 * 1024
const INITIAL_SLOTS = 1024
/** Compaction waits for this many dead or scattered records, so a small store is not copied on every few writes. */
const MIN_TO_COMPACT = 1024
const MAX_BYTES = 2 ** 31 - 8
/** View numbers are u16. */
const MAX_VIEWS = 0x10000
/** An entity's and a record's header: their fields' positions, in units of the array they are read through. */
const ENTITY_HEADER = 10
const FIRST = 1 // u32
const KEY_LENGTH = 4 // u16
const RECORD_HEADER = 28
const NEXT = 4 // u32
const JSON_LENGTH = 5 // u32
const VIEW = 12 // u16
const BOUND_COUNT = 13 // u16

/** Where record `r`'s bounds start: after its JSON, aligned for the Uint32Array they are read through. */
function boundsStart(u32: Uint32Array, r: number): number {
  return align(r + RECORD_HEADER + u32[(r >> 2) + JSON_LENGTH]!, 4)
}

/** `n` rounded up to a multiple of `to` (arithmetic, not bitwise: offsets may pass 2^31 on the way). */
function align(n: number, to: number): number {
  return Math.ceil(n / to) * to
}

/** FNV-1a over the key's UTF-16 units. */
function hashKey(key: string): number {
  let h = 0x811c9dc5
  for (let c = 0; c < key.length; c++) h = Math.imul(h ^ key.charCodeAt(c), 0x01000193)
  return h >>> 0
}

/**
 * `views[l].getMany(keys[l])` for each l (a view not there finds nothing), with the lookups of
 * views in one store asking the same keys (the same array: views keyed by the same entity
 * columns) read together, each entity once.
 */
export function getManyTogether(views: readonly (PackedView | undefined)[], keys: readonly (readonly (string | null)[])[]): (StoredValue | undefined)[][] {
  const found = new Array<(StoredValue | undefined)[]>(views.length)
  for (let l = 0; l < views.length; l++) {
    if (found[l]) continue
    const store = views[l]?.store
    if (!store) {
      found[l] = new Array<StoredValue | undefined>(keys[l]!.length).fill(undefined)
      continue
    }
    const together: number[] = []
    for (let m = l; m < views.length; m++) if (views[m]?.store === store && keys[m] === keys[l]) together.push(m)
    const values = store.getMany(together.map((m) => views[m]!.id), keys[l]!)
    together.forEach((m, v) => (found[m] = values[v]!))
  }
  return found
}
