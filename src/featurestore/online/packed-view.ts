import { AsofError } from '../../core/index.js'
import { featureValueBounds } from './keys.js'
import { isNewerOrSame, StoredValue } from './online-store.js'

/**
 * The stored values of one feature view version, packed into one byte arena and one slot
 * table, with no JavaScript object per entity. An embedded server holds every entity of every
 * online view in memory. As objects (a StoredValue, its JSON string, a Buffer of it, a bounds
 * array, a Map entry and a key string), 100k entities × 5 views took 300 MB of heap: V8 then
 * spent long stretches marking the old generation, young collections of each request's garbage
 * ran 3× slower, and a lookup touched seven scattered places in memory (in a VM each new page
 * is a costly TLB miss). Here a lookup reads a slot, then one record: the key, timestamps,
 * value bounds and the features' JSON lie side by side.
 *
 * A record, 8-byte aligned: f64 event ts | f64 created ts (NaN: none) | u32 key hash |
 * u32 JSON length | u16 key length (UTF-16 units) | u16 bound count | the key (UTF-16) | the
 * JSON (UTF-8) | padding to 4 | the bounds (u32 offsets in the arena, `featureValueBounds`).
 * Slots (open addressing, linear probing) hold a record's offset / 8 + 1; 0 is empty.
 *
 * Records are only appended: a replaced entity's old record stays (a StoredValue read before
 * still reads it) until dead records outnumber live ones and `compact` copies the live ones
 * into a new arena. The arena holds at most 2 GiB (offsets stay small integers in V8).
 */
export class PackedView {
  // The arena and its views as f64, u32 and u16 (set together by `useArena`).
  private arena!: Buffer
  private f64!: Float64Array
  private u32!: Uint32Array
  private u16!: Uint16Array
  private used = 0
  private slots = new Int32Array(INITIAL_SLOTS)
  private live = 0
  private dead = 0

  /** @param name what the view is called in errors. */
  constructor(private readonly name: string) {
    this.useArena(Buffer.allocUnsafe(INITIAL_BYTES))
  }

  get size(): number {
    return this.live
  }

  get(key: string): StoredValue | undefined {
    const slot = this.slots[this.slotOf(key, hashKey(key))]!
    return slot === 0 ? undefined : this.valueAt((slot - 1) * 8)
  }

  /**
   * `get` of each key (null: none). Over a large view nearly every slot and record read is a
   * cache miss, and one `get` after another waits for each in turn. Here every key's first slot
   * is read in one pass and every record it names in a second: the reads of a pass do not
   * depend on each other, so the processor has several misses in flight at once. A key not in
   * its first slot (a collision) takes `get`'s probe.
   */
  getMany(keys: readonly (string | null)[]): (StoredValue | undefined)[] {
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
    const values = new Array<StoredValue | undefined>(keys.length).fill(undefined)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      const slot = firstSlots[i]!
      if (key === null || key === undefined || slot === 0) continue
      const r = (slot - 1) * 8
      values[i] = this.holdsKey(r, key, hashes[i]!) ? this.valueAt(r) : this.get(key)
    }
    return values
  }

  private valueAt(r: number): StoredValue {
    const json = jsonStart(this.u16, r)
    return new StoredValue(
      this.arena, json, json + this.u32[(r >> 2) + JSON_LENGTH]!, this.u32, boundsStart(this.u16, this.u32, r) >> 2,
      this.u16[(r >> 1) + BOUND_COUNT]!, this.f64[r >> 3]!, this.createdTs(r),
    )
  }

  /**
   * Stores `json` (the features' JSON array, as text or as its UTF-8 bytes) for `key` unless what
   * is stored is newer (`isNewerOrSame`).
   */
  putIfNewer(key: string, json: string | Uint8Array, eventTs: number, createdTs: number | null): void {
    if (key.length > 0xffff) throw new AsofError('ASOF_BAD_INPUT', 'bad_input', `an entity key of ${this.name} is longer than 65,535 characters`)
    const hash = hashKey(key)
    const slot = this.slotOf(key, hash)
    const held = this.slots[slot]!
    const r = (held - 1) * 8
    if (held !== 0 && !isNewerOrSame({ eventTs, createdTs }, { eventTs: this.f64[r >> 3]!, createdTs: this.createdTs(r) })) return
    // Counted once the record is written: `append` may refuse it.
    this.slots[slot] = this.append(key, hash, json, eventTs, createdTs) / 8 + 1
    if (held !== 0) this.dead++
    else this.live++
    if (this.dead > MIN_DEAD && this.dead > this.live) this.compact()
    if (2 * this.live > this.slots.length) this.rehash(2 * this.slots.length)
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  private slotOf(key: string, hash: number): number {
    const slots = this.slots
    const mask = slots.length - 1
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = slots[i]!
      if (slot === 0 || this.holdsKey((slot - 1) * 8, key, hash)) return i
    }
  }

  private holdsKey(r: number, key: string, hash: number): boolean {
    if (this.u32[(r >> 2) + HASH] !== hash) return false
    const u16 = this.u16
    const at = (r >> 1) + (HEADER >> 1)
    if (u16[(r >> 1) + KEY_LENGTH] !== key.length) return false
    for (let c = 0; c < key.length; c++) if (u16[at + c] !== key.charCodeAt(c)) return false
    return true
  }

  private createdTs(r: number): number | null {
    const created = this.f64[(r >> 3) + 1]!
    return Number.isNaN(created) ? null : created
  }

  /** Writes a record at the end of the arena; returns its offset. */
  private append(key: string, hash: number, json: string | Uint8Array, eventTs: number, createdTs: number | null): number {
    const jsonLength = typeof json === 'string' ? Buffer.byteLength(json) : json.length
    // At most: header, key, JSON, and a bound per JSON byte plus one, with padding.
    this.reserve(HEADER + 2 * key.length + 5 * jsonLength + 16)
    const r = this.used
    this.arena.write(key, r + HEADER, 'utf16le')
    this.u16[(r >> 1) + KEY_LENGTH] = key.length
    this.u32[(r >> 2) + JSON_LENGTH] = jsonLength
    const jsonAt = jsonStart(this.u16, r)
    if (typeof json === 'string') this.arena.write(json, jsonAt, jsonLength, 'utf8')
    else this.arena.set(json, jsonAt)
    const bounds = featureValueBounds(this.arena, jsonAt, jsonAt + jsonLength)
    if (bounds.length > 0xffff) throw new AsofError('ASOF_BAD_INPUT', 'bad_input', `a row of ${this.name} has more than 65,534 features`)
    const boundsAt = boundsStart(this.u16, this.u32, r)
    this.u32.set(bounds, boundsAt >> 2)
    this.f64[r >> 3] = eventTs
    this.f64[(r >> 3) + 1] = createdTs ?? NaN
    this.u32[(r >> 2) + HASH] = hash
    this.u16[(r >> 1) + BOUND_COUNT] = bounds.length
    this.used = align(boundsAt + 4 * bounds.length, 8)
    return r
  }

  /** Room for `bytes` more bytes in the arena. */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.arena.length) return
    if (this.used + bytes > MAX_BYTES) {
      throw new AsofError('ASOF_ONLINE_CACHE_FULL', 'too_large', `the embedded online cache of ${this.name} would hold more than 2 GiB; serve it in server mode (ASOF_DATABASE_URL)`)
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

  /** The same records in a table of `size` slots. */
  private rehash(size: number): void {
    const old = this.slots
    this.slots = new Int32Array(size)
    const mask = size - 1
    for (const slot of old) {
      if (slot === 0) continue
      let i = this.u32[(((slot - 1) * 8) >> 2) + HASH]! & mask
      while (this.slots[i] !== 0) i = (i + 1) & mask
      this.slots[i] = slot
    }
  }

  /**
   * Copies the live records into a new arena. The old arena is left as it is, for StoredValues
   * already read from it. Each key keeps its slot (same hash, same table).
   */
  private compact(): void {
    const old = { arena: this.arena, u32: this.u32, u16: this.u16 }
    this.useArena(Buffer.allocUnsafe(align(Math.max(INITIAL_BYTES, this.used), 8)))
    this.used = 0
    this.dead = 0
    const slots = this.slots
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] === 0) continue
      const r = (slots[i]! - 1) * 8
      const bounds = boundsStart(old.u16, old.u32, r)
      const count = old.u16[(r >> 1) + BOUND_COUNT]!
      const end = align(bounds + 4 * count, 8)
      const to = this.used
      old.arena.copy(this.arena, to, r, end)
      // Bounds are offsets in the arena: they move with their record.
      for (let b = (to + bounds - r) >> 2, last = b + count; b < last; b++) this.u32[b] += to - r
      slots[i] = to / 8 + 1
      this.used = to + end - r
    }
  }
}

const INITIAL_BYTES = 64 * 1024
const INITIAL_SLOTS = 1024
/** Compaction waits for this many dead records, so a small view is not copied on every few writes. */
const MIN_DEAD = 1024
const MAX_BYTES = 2 ** 31 - 8
/** A record's header: its fields' positions, in units of the array they are read through. */
const HEADER = 28
const HASH = 4 // u32
const JSON_LENGTH = 5 // u32
const KEY_LENGTH = 12 // u16
const BOUND_COUNT = 13 // u16

/** Where record `r`'s JSON starts: after its header and key. */
function jsonStart(u16: Uint16Array, r: number): number {
  return r + HEADER + 2 * u16[(r >> 1) + KEY_LENGTH]!
}

/** Where record `r`'s bounds start: after its JSON, aligned for the Uint32Array they are read through. */
function boundsStart(u16: Uint16Array, u32: Uint32Array, r: number): number {
  return align(jsonStart(u16, r) + u32[(r >> 2) + JSON_LENGTH]!, 4)
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
