import { featureValueBounds } from './keys.js'
import { isNewerOrSame, StoredValue } from './online-store.js'

/** Rows, bytes and bounds a new view starts with room for (each grows by doubling). */
const INITIAL_ROWS = 1024
const ROW_FIELDS = 6
const START = 0, END = 1, FIRST_BOUND = 2, BOUND_COUNT = 3, EVENT_TS = 4, CREATED_TS = 5

/**
 * The stored values of one feature view version, packed into a few large buffers instead of
 * an object (and a string, a Buffer and an array) per entity: all rows' feature JSON in one
 * byte buffer, their bounds in one Int32Array, their offsets and timestamps side by side in one
 * Float64Array, and a Map from entity key to row. An embedded server holds every entity of every online view in
 * memory; as objects, 100k entities × 5 views took 300 MB of heap, which made every young
 * collection of a request's garbage 3× slower and kept the old generation in marking, and each
 * lookup chased five pointers to scattered memory.
 *
 * Rows are only appended: a replaced entity's old row stays in the buffers (a StoredValue read
 * before still reads it) until the dead rows outweigh the live ones and `compact` copies the
 * live rows into new buffers.
 */
export class PackedView {
  private readonly rowOf = new Map<string, number>()
  private rows = 0
  private deadRows = 0
  private bytes = Buffer.allocUnsafe(INITIAL_ROWS * 64)
  private bytesUsed = 0
  private bounds = new Int32Array(INITIAL_ROWS * 8)
  private boundsUsed = 0
  /**
   * Per row, side by side (one memory access reads them all): where its bytes start and end,
   * where its bounds start and how many it has, its event and created timestamps (NaN: none).
   */
  private meta = new Float64Array(INITIAL_ROWS * ROW_FIELDS)

  get size(): number {
    return this.rowOf.size
  }

  get(key: string): StoredValue | undefined {
    const row = this.rowOf.get(key)
    if (row === undefined) return undefined
    const m = this.meta
    const at = row * ROW_FIELDS
    return new StoredValue(this.bytes, m[at + START]!, m[at + END]!, this.bounds, m[at + FIRST_BOUND]!, m[at + BOUND_COUNT]!, m[at + EVENT_TS]!, storedCreatedTs(m, at))
  }

  /** Stores `json` (the features' JSON array) for `key` unless what is stored is newer (`isNewerOrSame`). */
  putIfNewer(key: string, json: string, eventTs: number, createdTs: number | null): void {
    const row = this.rowOf.get(key)
    if (row !== undefined) {
      if (!isNewerOrSame({ eventTs, createdTs }, { eventTs: this.meta[row * ROW_FIELDS + EVENT_TS]!, createdTs: storedCreatedTs(this.meta, row * ROW_FIELDS) })) return
      this.deadRows++
    }
    const length = Buffer.byteLength(json)
    const start = this.reserve(length)
    this.bytes.write(json, start, length, 'utf8')
    this.rowOf.set(key, this.appendRow(start, length, eventTs, createdTs))
    if (this.deadRows > INITIAL_ROWS && this.deadRows > this.rowOf.size) this.compact()
  }

  /** Records the row whose bytes were just written at `[start, start + length)`. */
  private appendRow(start: number, length: number, eventTs: number, createdTs: number | null): number {
    this.bytesUsed = start + length
    const bounds = featureValueBounds(this.bytes, start, start + length)
    if (this.boundsUsed + bounds.length > this.bounds.length) this.bounds = grown(this.bounds, this.boundsUsed + bounds.length)
    this.bounds.set(bounds, this.boundsUsed)
    const row = this.rows++
    const at = row * ROW_FIELDS
    this.meta[at + START] = start
    this.meta[at + END] = start + length
    this.meta[at + FIRST_BOUND] = this.boundsUsed
    this.meta[at + BOUND_COUNT] = bounds.length
    this.meta[at + EVENT_TS] = eventTs
    this.meta[at + CREATED_TS] = createdTs ?? NaN
    this.boundsUsed += bounds.length
    return row
  }

  /** Room for one more row of `length` bytes; returns where its bytes go. */
  private reserve(length: number): number {
    if (this.bytesUsed + length > this.bytes.length) {
      const bytes = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.bytesUsed + length))
      this.bytes.copy(bytes, 0, 0, this.bytesUsed)
      this.bytes = bytes
    }
    if ((this.rows + 1) * ROW_FIELDS > this.meta.length) this.meta = grown(this.meta, (this.rows + 1) * ROW_FIELDS)
    return this.bytesUsed
  }

  /**
   * Copies the live rows into new buffers. The old buffers are left as they are, for
   * StoredValues already read from them.
   */
  private compact(): void {
    const old = { bytes: this.bytes, meta: this.meta }
    this.bytes = Buffer.allocUnsafe(Math.max(INITIAL_ROWS * 64, this.bytesUsed))
    this.bounds = new Int32Array(this.bounds.length)
    this.meta = new Float64Array(Math.max(INITIAL_ROWS, 2 * this.rowOf.size) * ROW_FIELDS)
    this.rows = this.deadRows = this.bytesUsed = this.boundsUsed = 0
    for (const [key, row] of this.rowOf) {
      const at = row * ROW_FIELDS
      const [from, to] = [old.meta[at + START]!, old.meta[at + END]!]
      const start = this.bytesUsed
      old.bytes.copy(this.bytes, start, from, to)
      this.rowOf.set(key, this.appendRow(start, to - from, old.meta[at + EVENT_TS]!, storedCreatedTs(old.meta, at)))
    }
  }
}

/** The created timestamp of the row whose fields start at `at` (NaN stands for none). */
function storedCreatedTs(meta: Float64Array, at: number): number | null {
  const created = meta[at + CREATED_TS]!
  return Number.isNaN(created) ? null : created
}

/** A copy of `array` with room for at least `length` elements. */
function grown<A extends Float64Array | Int32Array>(array: A, length: number): A {
  const copy = new (array.constructor as new (n: number) => A)(Math.max(length, 2 * array.length))
  copy.set(array)
  return copy
}
