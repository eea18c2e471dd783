import { AsofError } from '../../core/index.js'
import { featureValueBounds } from './keys.js'
import { isNewerOrSame, StoredValue } from './online-store.js'

/** Rows, bytes and bounds a new view starts with room for (each grows by doubling). */
const INITIAL_ROWS = 1024
/** Per row, the positions of its bytes and bounds (`offsets`) and its timestamps (`timestamps`). */
const OFFSET_FIELDS = 4, START = 0, END = 1, FIRST_BOUND = 2, BOUND_COUNT = 3
const TIMESTAMP_FIELDS = 2, EVENT_TS = 0, CREATED_TS = 1
/**
 * Offsets are Int32: read into a StoredValue they stay small integers, where a Float64Array's
 * would be boxed numbers, allocated for every lookup. So a view holds at most 2 GiB of values.
 */
const MAX_BYTES = 2 ** 31 - 1

/**
 * The stored values of one feature view version, packed into a few large buffers instead of
 * an object (and a string, a Buffer and an array) per entity: all rows' feature JSON in one
 * byte buffer, their bounds in one Int32Array, their offsets side by side in another, their
 * timestamps in a Float64Array, and a Map from entity key to row. An embedded server holds
 * every entity of every online view in memory; as objects, 100k entities × 5 views took 300 MB of heap, which made every young
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
  /** Per row, side by side: where its bytes start and end, where its bounds start and how many it has. */
  private offsets = new Int32Array(INITIAL_ROWS * OFFSET_FIELDS)
  /** Per row, side by side: its event and created timestamps (NaN: none). */
  private timestamps = new Float64Array(INITIAL_ROWS * TIMESTAMP_FIELDS)

  constructor(private readonly name: string) {}

  get size(): number {
    return this.rowOf.size
  }

  get(key: string): StoredValue | undefined {
    const row = this.rowOf.get(key)
    if (row === undefined) return undefined
    const o = this.offsets
    const at = row * OFFSET_FIELDS
    return new StoredValue(
      this.bytes, o[at + START]!, o[at + END]!, this.bounds, o[at + FIRST_BOUND]!, o[at + BOUND_COUNT]!,
      this.timestamps[row * TIMESTAMP_FIELDS + EVENT_TS]!, storedCreatedTs(this.timestamps, row),
    )
  }

  /** Stores `json` (the features' JSON array) for `key` unless what is stored is newer (`isNewerOrSame`). */
  putIfNewer(key: string, json: string, eventTs: number, createdTs: number | null): void {
    const row = this.rowOf.get(key)
    if (row !== undefined) {
      if (!isNewerOrSame({ eventTs, createdTs }, { eventTs: this.timestamps[row * TIMESTAMP_FIELDS + EVENT_TS]!, createdTs: storedCreatedTs(this.timestamps, row) })) return
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
    const at = row * OFFSET_FIELDS
    this.offsets[at + START] = start
    this.offsets[at + END] = start + length
    this.offsets[at + FIRST_BOUND] = this.boundsUsed
    this.offsets[at + BOUND_COUNT] = bounds.length
    this.timestamps[row * TIMESTAMP_FIELDS + EVENT_TS] = eventTs
    this.timestamps[row * TIMESTAMP_FIELDS + CREATED_TS] = createdTs ?? NaN
    this.boundsUsed += bounds.length
    return row
  }

  /** Room for one more row of `length` bytes; returns where its bytes go. */
  private reserve(length: number): number {
    if (this.bytesUsed + length > MAX_BYTES) {
      throw new AsofError('ASOF_ONLINE_CACHE_FULL', 'too_large', `the embedded online cache of ${this.name} would hold more than 2 GiB of feature values; serve it in server mode (ASOF_DATABASE_URL)`)
    }
    if (this.bytesUsed + length > this.bytes.length) {
      const bytes = Buffer.allocUnsafe(Math.min(MAX_BYTES, Math.max(2 * this.bytes.length, this.bytesUsed + length)))
      this.bytes.copy(bytes, 0, 0, this.bytesUsed)
      this.bytes = bytes
    }
    if ((this.rows + 1) * OFFSET_FIELDS > this.offsets.length) {
      this.offsets = grown(this.offsets, (this.rows + 1) * OFFSET_FIELDS)
      this.timestamps = grown(this.timestamps, (this.rows + 1) * TIMESTAMP_FIELDS)
    }
    return this.bytesUsed
  }

  /**
   * Copies the live rows into new buffers. The old buffers are left as they are, for
   * StoredValues already read from them.
   */
  private compact(): void {
    const old = { bytes: this.bytes, offsets: this.offsets, timestamps: this.timestamps }
    const rows = Math.max(INITIAL_ROWS, 2 * this.rowOf.size)
    this.bytes = Buffer.allocUnsafe(Math.max(INITIAL_ROWS * 64, this.bytesUsed))
    this.bounds = new Int32Array(this.bounds.length)
    this.offsets = new Int32Array(rows * OFFSET_FIELDS)
    this.timestamps = new Float64Array(rows * TIMESTAMP_FIELDS)
    this.rows = this.deadRows = this.bytesUsed = this.boundsUsed = 0
    for (const [key, row] of this.rowOf) {
      const from = old.offsets[row * OFFSET_FIELDS + START]!
      const to = old.offsets[row * OFFSET_FIELDS + END]!
      const start = this.bytesUsed
      old.bytes.copy(this.bytes, start, from, to)
      this.rowOf.set(key, this.appendRow(start, to - from, old.timestamps[row * TIMESTAMP_FIELDS + EVENT_TS]!, storedCreatedTs(old.timestamps, row)))
    }
  }
}

/** A row's created timestamp (NaN stands for none). */
function storedCreatedTs(timestamps: Float64Array, row: number): number | null {
  const created = timestamps[row * TIMESTAMP_FIELDS + CREATED_TS]!
  return Number.isNaN(created) ? null : created
}

/** A copy of `array` with room for at least `length` elements. */
function grown<A extends Float64Array | Int32Array>(array: A, length: number): A {
  const copy = new (array.constructor as new (n: number) => A)(Math.max(length, 2 * array.length))
  copy.set(array)
  return copy
}
