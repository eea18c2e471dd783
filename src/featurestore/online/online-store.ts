import { formatMicros } from '../../core/index.js'
import type { Value } from '../../engines/index.js'
import { decodeFeatureValues, featureValueBounds } from './keys.js'

/** One feature view version in the online store. */
export interface OnlineViewRef {
  readonly view: string
  readonly version: number
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
 * A stored value as reads return it: the view's features as the JSON text the online table
 * holds (`encodeFeatureValues`), decoded only as far as a reader needs. The JSON answer of
 * `/get-online-features` copies each feature's UTF-8 bytes as they are (`bytes` between
 * `bounds`), so the hot path never parses or re-prints a number; `values` parses the whole row,
 * for callers that want values. All are memoized: in embedded mode the same object answers
 * every request for its entity.
 */
export class StoredValue {
  private decoded?: readonly Value[]
  private encoded?: Buffer
  private split?: readonly number[]
  private formatted?: FormattedTimestamp

  constructor(
    /** The features in schema order, as a JSON array. */
    readonly json: string,
    /** Epoch microseconds. */
    readonly eventTs: number,
    readonly createdTs: number | null,
  ) {}

  get values(): readonly Value[] {
    return (this.decoded ??= decodeFeatureValues(this.json))
  }

  /** `json` in UTF-8. */
  get bytes(): Buffer {
    return (this.encoded ??= Buffer.from(this.json))
  }

  /** Feature k's JSON text is `bytes` from `bounds[k] + 1` to `bounds[k + 1]` (`featureValueBounds`); a row shorter than the schema has fewer. */
  get bounds(): readonly number[] {
    return (this.split ??= featureValueBounds(this.bytes))
  }

  /** `eventTs` as ISO-8601. */
  get eventTimestamp(): string {
    return this.timestamp.text
  }

  /** `eventTimestamp` as a JSON string, in UTF-8. */
  get eventTimestampJson(): Buffer {
    return this.timestamp.json
  }

  private get timestamp(): FormattedTimestamp {
    return (this.formatted ??= formatEventTimestamp(this.eventTs))
  }
}

interface FormattedTimestamp {
  readonly text: string
  readonly json: Buffer
}

/**
 * Event timestamps repeat across entities (a batch shares its timestamp), and in server mode
 * every request builds fresh StoredValues, so formatted timestamps are remembered per process
 * (bounded: cleared when full).
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
  /** Rows inserted or replaced; the rest were older than what the store held. */
  readonly written: number
}

/**
 * The online store: the latest feature values per (view version, entity key), in the metadata
 * database. Writes are newer-wins (`isNewerOrSame`), idempotent, and atomic per view: one
 * transaction per call, so a reader sees the view before or after it, never a mix.
 */
export interface OnlineStore {
  write(ref: OnlineViewRef, records: readonly OnlineRecord[]): Promise<WriteStats>
  /** For each lookup, the stored value of each key, or undefined (null keys are never found). */
  read(lookups: readonly OnlineLookup[]): Promise<(StoredValue | undefined)[][]>
  /** Counters since start, for metrics: lookups served from the in-process cache, and cache fills. */
  cacheStats(): CacheStats
}

export interface CacheStats {
  /** Entity lookups answered from memory (always 0 where reads go to the database). */
  readonly hits: number
  /** View versions loaded from the online table into memory. */
  readonly fills: number
}

/**
 * The "newer wins" rule, shared by SQL upserts and the in-process cache: a later event
 * timestamp wins, then a later created timestamp (null lowest); an equal pair replaces, which
 * keeps repeated writes idempotent.
 */
export function isNewerOrSame(candidate: { eventTs: number; createdTs: number | null }, stored: { eventTs: number; createdTs: number | null }): boolean {
  if (candidate.eventTs !== stored.eventTs) return candidate.eventTs > stored.eventTs
  return (candidate.createdTs ?? -Infinity) >= (stored.createdTs ?? -Infinity)
}

/** Keeps, per key, only the record that wins under `isNewerOrSame` (an upsert must not see a key twice). */
export function latestPerKey(records: readonly OnlineRecord[]): OnlineRecord[] {
  const byKey = new Map<string, OnlineRecord>()
  for (const r of records) {
    const seen = byKey.get(r.key)
    if (!seen || isNewerOrSame(r, seen)) byKey.set(r.key, r)
  }
  return [...byKey.values()]
}
