import { formatMicros } from '../../core/index.js'
import type { Engine, RawBuilder, Value } from '../../engines/index.js'
import { decodeFeatureValues, featureValueBounds } from './keys.js'

/** One feature view version in the online store. */
export interface OnlineViewRef {
  readonly view: string
  readonly version: number
}

const viewKeys = new WeakMap<OnlineViewRef, string>()

/**
 * `view@version`, the in-process caches' name for a view version. Remembered per ref: a
 * request plan's refs live as long as the plan, and building and hashing the text anew for
 * each view of each request cost ~1.5 µs of a one-entity lookup.
 */
export function viewKey(ref: OnlineViewRef): string {
  let key = viewKeys.get(ref)
  if (key === undefined) viewKeys.set(ref, (key = `${ref.view}@${ref.version}`))
  return key
}

/** A row to write: the latest values of one entity of one view version. */
export interface OnlineRecord {
  /** From `encodeEntityKey`. */
  readonly key: string
  /** The view version's features, in schema order. */
  readonly values: readonly Value[]
  /** Epoch microseconds (a double holds them exactly until the year 2255). */
  readonly eventTs: number
  readonly createdTs: number | null
}

/**
 * A stored value as reads return it: the view's features as the JSON array the online table
 * holds (`encodeFeatureValues`), as UTF-8 bytes at `[start, end)` of `buffer` (a packed view's
 * shared buffer in embedded mode, a buffer of its own otherwise), with where each feature lies
 * in it. The JSON answer of `/get-online-features` copies each feature's bytes as they are, so
 * the hot path never parses or re-prints a number; `values` parses the row, for callers that
 * want values.
 */
export class StoredValue {
  private decoded?: readonly Value[]

  constructor(
    readonly buffer: Buffer,
    readonly start: number,
    readonly end: number,
    /**
     * Feature k's JSON text is `buffer` from `bounds[first + k] + 1` to `bounds[first + k + 1]`
     * (`featureValueBounds`, offsets within `buffer`); `count` bounds, one more than the row has
     * features (a row shorter than the schema has fewer).
     */
    readonly bounds: Uint32Array,
    readonly first: number,
    readonly count: number,
    /** Epoch microseconds. */
    readonly eventTs: number,
    readonly createdTs: number | null,
  ) {}

  /** A value of its own, from the JSON text of its features. */
  static fromJson(json: string, eventTs: number, createdTs: number | null): StoredValue {
    const buffer = Buffer.from(json)
    const bounds = Uint32Array.from(featureValueBounds(buffer, 0, buffer.length))
    return new StoredValue(buffer, 0, buffer.length, bounds, 0, bounds.length, eventTs, createdTs)
  }

  get values(): readonly Value[] {
    return (this.decoded ??= decodeFeatureValues(this.buffer.toString('utf8', this.start, this.end)))
  }

  /** `eventTs` as ISO-8601. */
  get eventTimestamp(): string {
    return formatEventTimestamp(this.eventTs).text
  }

  /** `eventTimestamp` as a JSON string, in UTF-8. */
  get eventTimestampJson(): Buffer {
    return formatEventTimestamp(this.eventTs).json
  }
}

interface FormattedTimestamp {
  readonly text: string
  readonly json: Buffer
}

/**
 * Event timestamps repeat across entities (a batch shares its timestamp), and every request
 * builds fresh StoredValues, so formatted timestamps are remembered per process (bounded:
 * cleared when full).
 */
const formattedTimestamps = new Map<number, FormattedTimestamp>()
const MAX_FORMATTED = 10_000

function formatEventTimestamp(micros: number): FormattedTimestamp {
  let formatted = formattedTimestamps.get(micros)
  if (formatted === undefined) {
    if (formattedTimestamps.size >= MAX_FORMATTED) formattedTimestamps.clear()
    const text = formatMicros(BigInt(micros))
    formattedTimestamps.set(micros, (formatted = { text, json: Buffer.from(JSON.stringify(text)) }))
  }
  return formatted
}

export interface OnlineLookup {
  readonly ref: OnlineViewRef
  readonly keys: readonly (string | null)[]
}

export interface WriteStats {
  /** Rows inserted or replaced; the rest lost to what the store held (`wins`). */
  readonly written: number
}

/** A batch computed on an engine, already encoded (`encodeBatchInDuckDb`). */
export interface BulkBatch {
  readonly engine: Engine
  readonly encoded: RawBuilder<unknown>
}

export interface BulkWriteStats extends WriteStats {
  /** Rows in the batch. */
  readonly read: number
}

/** The records of one view version to write. */
export interface ViewWrite {
  readonly ref: OnlineViewRef
  readonly records: readonly OnlineRecord[]
}

/**
 * The online store: the latest feature values per (view version, entity key), in the metadata
 * database. Writes follow `wins` (so any number of concurrent writers end in the same state,
 * whatever order they commit in), are idempotent, and are atomic across the views of one call:
 * one transaction, applied to the in-process caches in one step after it commits, so a reader
 * sees all of a call's views before or after it, never a mix, and a failed call changes nothing.
 */
export interface OnlineStore {
  /** One `WriteStats` per view write, in the order given. */
  write(writes: readonly ViewWrite[]): Promise<WriteStats[]>
  /**
   * Writes one view version's batch in bulk, straight from the engine that computed it, by the
   * same rule and as atomically as `write`: `batch.encoded` is a query on `batch.engine` with the
   * columns of an encoded row (`entity_key`, `feature_values`, `event_ts_us`, `created_ts_us`),
   * one row per key. Returns undefined, having written nothing, when this store cannot load
   * from that engine (the caller then reads the rows and calls `write`).
   */
  writeBatch(ref: OnlineViewRef, batch: BulkBatch): Promise<BulkWriteStats | undefined>
  /** For each lookup, the stored value of each key, or undefined (null keys are never found). */
  read(lookups: readonly OnlineLookup[]): Promise<(StoredValue | undefined)[][]>
  /**
   * Loads what the store keeps in memory for these view versions ahead of their first read.
   * The embedded cache reads each whole view (the first requests would otherwise wait for it:
   * 1.8 s for 100k entities × 5 views); server mode's cache fills by key and loads nothing here.
   */
  preload(refs: readonly OnlineViewRef[]): Promise<void>
  /** Counters since start, for metrics: lookups served from the in-process cache, and cache fills. */
  cacheStats(): CacheStats
  /** Ends what the store holds open (server mode's LISTEN session). */
  close(): Promise<void>
}

export interface CacheStats {
  /** Entity lookups answered from memory (always 0 where reads go to the database). */
  readonly hits: number
  /** Loads into memory: embedded, a whole view version from the online table; server mode, one view's answer read from PostgreSQL. */
  readonly fills: number
}

/** When a stored value was true: its event timestamp and its created timestamp (epoch microseconds). */
export interface Versioned {
  readonly eventTs: number
  readonly createdTs: number | null
}

/**
 * The "newest wins" rule: the one place that decides which of two values of an entity in a view
 * version the online store keeps, for pushes and materialization alike, in the SQL upsert
 * (`upsertOnlineRows` says the same in SQL) and in the in-process caches. The later event
 * timestamp wins, then the later created timestamp (null lowest), then, for writers that sent
 * equal timestamps, the greater features' JSON text in UTF-8 byte order. That is a total order
 * on what is written, so the value kept does not depend on the order in which concurrent writes
 * arrive or on the order of rows within one; an equal value replaces, which keeps repeated
 * writes idempotent. `storedJson` is only called for a tie.
 */
export function wins(candidate: Versioned, candidateJson: string | Uint8Array, stored: Versioned, storedJson: () => Uint8Array): boolean {
  if (candidate.eventTs !== stored.eventTs) return candidate.eventTs > stored.eventTs
  const created = candidate.createdTs ?? -Infinity
  const storedCreated = stored.createdTs ?? -Infinity
  if (created !== storedCreated) return created > storedCreated
  return Buffer.compare(utf8(candidateJson), storedJson()) >= 0
}

function utf8(json: string | Uint8Array): Uint8Array {
  return typeof json === 'string' ? Buffer.from(json) : json
}
