import { z } from 'zod'
import { stringifyJson } from '../../core/index.js'
import type { Value } from '../../engines/index.js'
import { CLOSE_BRACKET, COMMA, encodeEntityKey } from './keys.js'
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
 * Feature values are copied byte for byte from the JSON the store holds (`StoredValue.bytes`:
 * no parsing, no number printing, no string per value). A view's statuses and timestamps (85 %
 * of a 100-entity answer: Feast's format repeats them for every feature) are written once, from
 * prebuilt bytes, and copied within the answer for each further feature of the view.
 */
export function onlineResponseJson(answer: OnlineAnswer): Buffer {
  const { plan, entities, rowCount } = answer
  const keyColumns = plan.entityColumns.map((c, i) => Buffer.from(`${i ? ',' : ''}{"values":${stringifyJson(entities[c]!)}`))
  const keyTail = {
    statuses: new Array<Uint8Array>(rowCount).fill(STATUS_JSON.PRESENT),
    timestamps: new Array<Uint8Array>(rowCount).fill(KEY_TIMESTAMP_JSON),
  }
  const viewTails = answer.views.map(({ stored, statuses }) => ({
    statuses: statuses.map((s) => STATUS_JSON[s]),
    timestamps: stored.map((s) => (s ? s.eventTimestampJson : KEY_TIMESTAMP_JSON)),
  }))
  const start = head(plan)
  // An upper bound of the size: a feature's value is at most its stored row, a missing one
  // `null`; a column adds a comma before it and a bracket after.
  let size = start.length + CLOSE.length + keyColumns.reduce((n, b) => n + b.length + tailSize(keyTail), 0)
  const rowBytes = answer.views.map(({ stored }) => stored.reduce((n, s) => n + Math.max(s ? s.bytes.length : 0, NULL.length) + 1, 0))
  const tailSizes = viewTails.map(tailSize)
  for (const f of plan.features) size += COLUMN_START.length + 2 + rowBytes[f.view]! + tailSizes[f.view]!
  const w = new ByteWriter(Buffer.allocUnsafe(size))
  w.put(start)
  keyColumns.forEach((c) => {
    w.put(c)
    w.tail(keyTail)
  })
  /** Where each view's tail was first written, to copy it from there. */
  const written: ([number, number] | undefined)[] = []
  plan.features.forEach((f, n) => {
    if (n || keyColumns.length) w.byte(COMMA)
    w.put(COLUMN_START)
    const { stored } = answer.views[f.view]!
    const k = f.valueIndex
    for (let i = 0; i < rowCount; i++) {
      if (i) w.byte(COMMA)
      const s = stored[i]
      const bounds = s?.bounds
      if (bounds && k + 1 < bounds.length) w.range(s.bytes, bounds[k]! + 1, bounds[k + 1]!)
      else w.put(NULL)
    }
    w.byte(CLOSE_BRACKET)
    const at = written[f.view]
    if (at) w.copy(at[0], at[1])
    else {
      const from = w.at
      w.tail(viewTails[f.view]!)
      written[f.view] = [from, w.at]
    }
  })
  w.put(CLOSE)
  return w.out.subarray(0, w.at)
}

/** A result column's statuses and timestamps, each as its JSON bytes (quoted). */
interface TailParts {
  readonly statuses: readonly Uint8Array[]
  readonly timestamps: readonly Uint8Array[]
}

const COLUMN_START = Buffer.from('{"values":[')
const STATUSES_START = Buffer.from(',"statuses":[')
const TIMESTAMPS_START = Buffer.from('],"event_timestamps":[')
const NULL = Buffer.from('null')
/** Closes a list and the object holding it: a result column, and the whole answer. */
const CLOSE = Buffer.from(']}')
const STATUS_JSON: Record<FieldStatus, Uint8Array> = {
  PRESENT: Buffer.from('"PRESENT"'), NOT_FOUND: Buffer.from('"NOT_FOUND"'), OUTSIDE_MAX_AGE: Buffer.from('"OUTSIDE_MAX_AGE"'),
}
const KEY_TIMESTAMP_JSON = Buffer.from(JSON.stringify(KEY_TIMESTAMP))

function tailSize({ statuses, timestamps }: TailParts): number {
  const list = (parts: readonly Uint8Array[]) => parts.reduce((n, p) => n + p.length + 1, 0)
  return STATUSES_START.length + list(statuses) + TIMESTAMPS_START.length + list(timestamps) + CLOSE.length
}

/** Appends bytes to a Buffer sized beforehand. */
class ByteWriter {
  at = 0
  constructor(readonly out: Buffer) {}

  byte(c: number): void {
    this.out[this.at++] = c
  }

  put(bytes: Uint8Array): void {
    this.out.set(bytes, this.at)
    this.at += bytes.length
  }

  /** `bytes[from, to)`, copied in a loop: a value is a few bytes, less than a native call costs. */
  range(bytes: Uint8Array, from: number, to: number): void {
    const out = this.out
    let at = this.at
    for (let b = from; b < to; b++) out[at++] = bytes[b]!
    this.at = at
  }

  /** Repeats what was written at `[from, to)`. */
  copy(from: number, to: number): void {
    this.out.copyWithin(this.at, from, to)
    this.at += to - from
  }

  tail({ statuses, timestamps }: TailParts): void {
    this.put(STATUSES_START)
    this.list(statuses)
    this.put(TIMESTAMPS_START)
    this.list(timestamps)
    this.put(CLOSE)
  }

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
