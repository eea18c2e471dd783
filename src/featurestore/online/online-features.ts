import { z } from 'zod'
import { parseOrThrow, stringifyJson } from '../../core/index.js'
import type { Value } from '../../engines/index.js'
import { COMMA, encodeEntityKey } from './keys.js'
import type { OnlineStore, OnlineViewRef, StoredValue } from './online-store.js'

/** The body of Feast's `POST /get-online-features` (wire field names kept). */
export const getOnlineFeaturesRequestSchema = z.strictObject({
  features: z.array(z.string()).min(1).optional(),
  feature_service: z.string().min(1).optional(),
  /** Entity column → one value per entity row; every array has the same length. */
  entities: z.record(z.string(), z.array(z.any())),
  full_feature_names: z.boolean().default(false),
}).refine((r) => (r.features === undefined) !== (r.feature_service === undefined), {
  message: 'give exactly one of features or feature_service',
}).refine((r) => new Set(Object.values(r.entities).map((v) => v.length)).size <= 1, {
  message: 'every entities array must have the same length', path: ['entities'],
})

export type GetOnlineFeaturesRequest = z.input<typeof getOnlineFeaturesRequestSchema>
export type ParsedOnlineRequest = z.output<typeof getOnlineFeaturesRequestSchema>

const REQUEST_FIELDS = new Set(['features', 'feature_service', 'entities', 'full_feature_names'])

/**
 * The request, validated. A structural check accepts the well-formed requests that are the
 * hot path as they are (zod's parse, which copies every array, was 3 µs of a one-entity
 * request's ~25); whatever it does not recognise goes to the schema, which accepts it or names
 * the field at fault. A property test pins that the check accepts nothing the schema refuses.
 */
export function parseOnlineRequest(raw: unknown): ParsedOnlineRequest {
  return wellFormedRequest(raw) ?? parseOrThrow(getOnlineFeaturesRequestSchema, raw, 'request')
}

function wellFormedRequest(raw: unknown): ParsedOnlineRequest | undefined {
  if (!isPlainObject(raw)) return undefined
  for (const field in raw) if (!REQUEST_FIELDS.has(field)) return undefined
  const { features, feature_service: service, entities, full_feature_names: full = false } = raw
  if (typeof full !== 'boolean' || !isPlainObject(entities)) return undefined
  let rows = -1
  for (const column in entities) {
    const values = entities[column]
    if (!Array.isArray(values) || (rows >= 0 && values.length !== rows)) return undefined
    rows = values.length
  }
  const request = { features: undefined as string[] | undefined, feature_service: undefined as string | undefined, entities: entities as Record<string, unknown[]>, full_feature_names: full }
  if (service === undefined && Array.isArray(features) && features.length > 0) {
    for (const f of features) if (typeof f !== 'string') return undefined
    request.features = features as string[]
  } else if (features === undefined && typeof service === 'string' && service.length > 0) request.feature_service = service
  else return undefined
  return request
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
}

export type FieldStatus = 'PRESENT' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE'

/** Feast's `/get-online-features` response: column-oriented, join keys first, then features. */
export interface OnlineFeaturesResponse {
  metadata: { feature_names: string[] }
  results: { values: Value[]; statuses: FieldStatus[]; event_timestamps: string[] }[]
}

/** One feature view version a request reads, resolved from the registry once per request shape. */
export interface PlannedOnlineView {
  readonly ref: OnlineViewRef
  /** The request's entity columns holding the view's join keys, in join-key order (join_key_map applied). */
  readonly entityColumns: readonly string[]
  /** Microseconds; 0 means unlimited. */
  readonly ttlMicros: number
}

/** The resolved shape of a request: which views to read and which output column each feature fills. */
export interface OnlinePlan {
  /** The request's entity columns, in request order (the response's first columns). */
  readonly entityColumns: readonly string[]
  readonly views: readonly PlannedOnlineView[]
  /** In request order. */
  readonly features: readonly { readonly name: string; readonly view: number; readonly valueIndex: number }[]
  /** The response's `feature_names`: entity columns, then features. */
  readonly featureNames: readonly string[]
}

/** Feast reports join keys as present "at" the epoch. */
const KEY_TIMESTAMP = '1970-01-01T00:00:00Z'

/**
 * An online request answered but not yet rendered: what the store holds for each view and row,
 * with each row's status. `onlineResponse` renders it as Feast's response object,
 * `onlineResponseJson` straight to the same response's JSON text (the HTTP hot path).
 */
export interface OnlineAnswer {
  readonly plan: OnlinePlan
  readonly entities: Record<string, Value[]>
  readonly rowCount: number
  /** Per planned view: the stored value of each row (undefined: not found) and each row's status. */
  readonly views: readonly { readonly stored: readonly (StoredValue | undefined)[]; readonly statuses: readonly FieldStatus[] }[]
}

/**
 * Answers an online request from a plan made for its entity columns (`planOnline` checks the
 * join keys): one store read for all views. Statuses: PRESENT; NOT_FOUND (no value, or a null
 * key); OUTSIDE_MAX_AGE when `now − event_timestamp > ttl` (the value is still returned, as
 * Feast's servers do). Statuses depend only on the view and the row, so all features of a view
 * share them.
 */
export async function answerOnline(
  store: OnlineStore, plan: OnlinePlan, entities: Record<string, Value[]>, nowMicros: number,
): Promise<OnlineAnswer> {
  const first = plan.entityColumns[0]
  const rowCount = first === undefined ? 0 : entities[first]!.length
  // Views keyed by the same entity columns (the common case) share their encoded keys.
  const keysByColumns = new Map<string, (string | null)[]>()
  const lookups = plan.views.map((view) => {
    const id = view.entityColumns.join('\u0000')
    let keys = keysByColumns.get(id)
    if (!keys) keysByColumns.set(id, (keys = keysOf(view, entities, rowCount)))
    return { ref: view.ref, keys }
  })
  const found = await store.read(lookups)
  const views = plan.views.map((view, v) => {
    const stored = found[v]!
    const statuses = new Array<FieldStatus>(rowCount)
    for (let i = 0; i < rowCount; i++) {
      const s = stored[i]
      statuses[i] = !s ? 'NOT_FOUND' : view.ttlMicros > 0 && nowMicros - s.eventTs > view.ttlMicros ? 'OUTSIDE_MAX_AGE' : 'PRESENT'
    }
    return { stored, statuses }
  })
  return { plan, entities, rowCount, views }
}

/** Feast's response object. Every feature of a view shares its view's `statuses` and `event_timestamps` arrays. */
export function onlineResponse(answer: OnlineAnswer): OnlineFeaturesResponse {
  const { plan, entities, rowCount } = answer
  const keyStatuses = new Array<FieldStatus>(rowCount).fill('PRESENT')
  const keyTimestamps = new Array<string>(rowCount).fill(KEY_TIMESTAMP)
  const results: OnlineFeaturesResponse['results'] = plan.entityColumns.map((c) => ({ values: entities[c]!, statuses: keyStatuses, event_timestamps: keyTimestamps }))
  const timestamps = answer.views.map(({ stored }) => stored.map((s) => (s ? s.eventTimestamp : KEY_TIMESTAMP)))
  for (const f of plan.features) {
    const { stored, statuses } = answer.views[f.view]!
    const values: Value[] = new Array<Value>(rowCount)
    for (let i = 0; i < rowCount; i++) values[i] = stored[i]?.values[f.valueIndex] ?? null
    results.push({ values, statuses: statuses as FieldStatus[], event_timestamps: timestamps[f.view]! })
  }
  return { metadata: { feature_names: [...plan.featureNames] }, results }
}

/**
 * The JSON text of `onlineResponse(answer)`, exactly as JSON.stringify writes it, in UTF-8,
 * written into one Buffer without building the object (the HTTP hot path sends it as it is).
 * Feature values are copied byte for byte from the JSON the store holds (`StoredValue`:
 * no parsing, no number printing, no string per value). A view's statuses and timestamps (85 %
 * of a 100-entity answer: Feast's format repeats them for every feature) are written once and
 * copied within the answer for each further feature of the view. The answer is written into
 * `allocate(size)` for an upper bound of its size (the HTTP route's buffers are pooled).
 */
export function onlineResponseJson(answer: OnlineAnswer, allocate: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const { plan, entities, rowCount } = answer
  const start = head(plan)
  const keyColumns = plan.entityColumns.map((c) => Buffer.from(stringifyJson(entities[c]!)))
  // Join keys are PRESENT at the epoch (Feast's convention).
  const keyStatuses = new Array<Uint8Array>(rowCount).fill(STATUS_JSON.PRESENT)
  const keyTimestamps = new Array<Uint8Array>(rowCount).fill(KEY_TIMESTAMP_JSON)
  const views = answer.views.map((v) => renderedView(v, rowCount))
  // An upper bound of the size: a feature's value is at most its stored row, a missing one `null`.
  let size = start.length + COLUMN_START.length + CLOSE.length
  for (const values of keyColumns) size += values.length + tailSize(rowCount, STATUS_JSON.PRESENT.length * rowCount, KEY_TIMESTAMP_JSON.length * rowCount)
  for (const f of plan.features) size += views[f.view]!.valueBytes + views[f.view]!.tailBytes

  // Each column ends with its statuses and timestamps and the start of the next column, the
  // last one's cut off at the end: a view's features then differ only in their values, and
  // everything between two columns' values is one piece, written once per view and copied.
  const w = new ByteWriter(allocate(size))
  w.put(start)
  w.put(COLUMN_START)
  for (const values of keyColumns) {
    w.range(values, 1, values.length - 1) // without the array's brackets
    w.tail(keyStatuses, keyTimestamps)
  }
  const features = plan.features
  for (let n = 0; n < features.length; n++) {
    const { view, valueIndex: k } = features[n]!
    const v = views[view]!
    w.featureValues(v, k)
    if (v.tailFrom < 0) {
      v.tailFrom = w.at
      w.tail(v.statuses, v.timestamps)
      v.tailTo = w.at
    } else w.copy(v.tailFrom, v.tailTo)
  }
  w.at -= keyColumns.length + features.length > 0 ? NEXT_COLUMN_OPENING : COLUMN_START.length
  w.put(CLOSE)
  return w.out.subarray(0, w.at)
}

/**
 * One view of an answer, ready to write: each row's buffer, bounds (`StoredValue`; a row not
 * found has 0 bounds), status and timestamp (as JSON bytes), and where its tail was first written.
 */
interface RenderedView {
  readonly buffers: Buffer[]
  readonly bounds: Uint32Array[]
  readonly firsts: number[]
  readonly counts: number[]
  readonly statuses: Uint8Array[]
  readonly timestamps: Uint8Array[]
  /** An upper bound of one feature column's values, commas included. */
  readonly valueBytes: number
  /** The size of the statuses and timestamps that close each of its columns. */
  readonly tailBytes: number
  tailFrom: number
  tailTo: number
}

/** Reads each row's buffer, bounds and timestamp once per answer, not once per feature. */
function renderedView({ stored, statuses }: OnlineAnswer['views'][number], rowCount: number): RenderedView {
  const buffers = new Array<Buffer>(rowCount)
  const bounds = new Array<Uint32Array>(rowCount)
  const firsts = new Array<number>(rowCount).fill(0)
  const counts = new Array<number>(rowCount).fill(0)
  const statusJson = new Array<Uint8Array>(rowCount)
  const timestamps = new Array<Uint8Array>(rowCount)
  let valueBytes = 0
  let statusBytes = 0
  let timestampBytes = 0
  for (let i = 0; i < rowCount; i++) {
    const s = stored[i]
    const t = s === undefined ? KEY_TIMESTAMP_JSON : s.eventTimestampJson
    timestamps[i] = t
    timestampBytes += t.length
    const status = STATUS_JSON[statuses[i]!]
    statusJson[i] = status
    statusBytes += status.length
    if (s === undefined) valueBytes += NULL.length + 1
    else {
      buffers[i] = s.buffer
      bounds[i] = s.bounds
      firsts[i] = s.first
      counts[i] = s.count
      valueBytes += Math.max(s.end - s.start, NULL.length) + 1
    }
  }
  return { buffers, bounds, firsts, counts, statuses: statusJson, timestamps, valueBytes, tailBytes: tailSize(rowCount, statusBytes, timestampBytes), tailFrom: -1, tailTo: -1 }
}

const COLUMN_START = Buffer.from('{"values":[')
const STATUSES_START = Buffer.from('],"statuses":[')
const TIMESTAMPS_START = Buffer.from('],"event_timestamps":[')
/** Closes a column's timestamps and the column, and opens the next column. */
const NEXT_COLUMN = Buffer.from(']},{"values":[')
/** The part of NEXT_COLUMN that opens the next column (cut after the last one). */
const NEXT_COLUMN_OPENING = Buffer.byteLength(',{"values":[')
const NULL = Buffer.from('null')
/** Closes the results list and the answer. */
const CLOSE = Buffer.from(']}')
const STATUS_JSON: Record<FieldStatus, Uint8Array> = {
  PRESENT: Buffer.from('"PRESENT"'), NOT_FOUND: Buffer.from('"NOT_FOUND"'), OUTSIDE_MAX_AGE: Buffer.from('"OUTSIDE_MAX_AGE"'),
}
const KEY_TIMESTAMP_JSON = Buffer.from(JSON.stringify(KEY_TIMESTAMP))

/**
 * The bytes of a column's end (`ByteWriter.tail`) with `rows` statuses and timestamps whose
 * texts take the bytes given.
 */
function tailSize(rows: number, statusBytes: number, timestampBytes: number): number {
  return STATUSES_START.length + statusBytes + TIMESTAMPS_START.length + timestampBytes + 2 * rows + NEXT_COLUMN.length
}

/**
 * Below this many bytes a JavaScript loop (1.4 ns a byte) copies part of a buffer faster than
 * a native call (`subarray` and `set`, 60 ns; `copyWithin`) is entered: most values are a few
 * bytes long.
 */
const SHORT = 64
/** A whole buffer needs no `subarray`: `set` (16 ns) is faster from about a dozen bytes on (a timestamp). */
const SHORT_WHOLE = 12

/** Appends bytes to a Buffer sized beforehand. */
class ByteWriter {
  at = 0
  constructor(readonly out: Buffer) {}

  byte(c: number): void {
    this.out[this.at++] = c
  }

  put(bytes: Uint8Array): void {
    if (bytes.length > SHORT_WHOLE) {
      this.out.set(bytes, this.at)
      this.at += bytes.length
    } else this.range(bytes, 0, bytes.length)
  }

  /** `bytes[from, to)`. */
  range(bytes: Uint8Array, from: number, to: number): void {
    const out = this.out
    let at = this.at
    if (to - from > SHORT) {
      out.set(bytes.subarray(from, to), at)
      at += to - from
    } else for (let b = from; b < to; b++) out[at++] = bytes[b]!
    this.at = at
  }

  /** Feature k of every row of a view, comma-separated (`null` where a row has none). */
  featureValues({ buffers, bounds, firsts, counts }: RenderedView, k: number): void {
    for (let i = 0; i < counts.length; i++) {
      if (i) this.byte(COMMA)
      if (k + 1 < counts[i]!) {
        const b = bounds[i]!
        const first = firsts[i]! + k
        this.range(buffers[i]!, b[first]! + 1, b[first + 1]!)
      } else this.put(NULL)
    }
  }

  /** Repeats what was written at `[from, to)`. */
  copy(from: number, to: number): void {
    if (to - from > SHORT) {
      this.out.copyWithin(this.at, from, to)
      this.at += to - from
    } else this.range(this.out, from, to)
  }

  /** The end of a column after its values: its statuses and timestamps, then the next column's start. */
  tail(statuses: readonly Uint8Array[], timestamps: readonly Uint8Array[]): void {
    this.put(STATUSES_START)
    this.list(statuses)
    this.put(TIMESTAMPS_START)
    this.list(timestamps)
    this.put(NEXT_COLUMN)
  }

  /** Pieces of JSON, comma-separated. */
  private list(parts: readonly Uint8Array[]): void {
    for (let i = 0; i < parts.length; i++) {
      if (i) this.byte(COMMA)
      this.put(parts[i]!)
    }
  }
}

const headByPlan = new WeakMap<OnlinePlan, Buffer>()

/** The answer's start up to its first result, the same for every answer of a plan. */
function head(plan: OnlinePlan): Buffer {
  let json = headByPlan.get(plan)
  if (json === undefined) headByPlan.set(plan, (json = Buffer.from(`{"metadata":{"feature_names":${JSON.stringify(plan.featureNames)}},"results":[`)))
  return json
}

function keysOf(view: PlannedOnlineView, entities: Record<string, Value[]>, rowCount: number): (string | null)[] {
  const cols = view.entityColumns.map((c) => entities[c]!)
  const keys = new Array<string | null>(rowCount)
  for (let i = 0; i < rowCount; i++) keys[i] = encodeEntityKey(cols.map((c) => c[i] ?? null))
  return keys
}
