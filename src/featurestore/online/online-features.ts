import { z } from 'zod'
import { stringifyJson } from '../../core/index.js'
import type { Value } from '../../engines/index.js'
import { encodeEntityKey } from './keys.js'
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
 * The JSON text of `onlineResponse(answer)`, exactly as JSON.stringify writes it, built without
 * the object: feature values are copied as the JSON text the store holds (`StoredValue.valueJson`),
 * and each view's statuses and timestamps are written once and repeated for its features.
 * Pieces are collected and joined: a string grown by `+=` is a rope of thousands of pieces
 * that costs more to flatten, when it is written out, than it took to build.
 */
export function onlineResponseJson(answer: OnlineAnswer): string {
  const { plan, entities, rowCount } = answer
  const keyTail = tail(new Array<string>(rowCount).fill('PRESENT'), new Array<string>(rowCount).fill(KEY_TIMESTAMP))
  const viewTails = answer.views.map(({ stored, statuses }) => tail(statuses, stored.map((s) => (s ? s.eventTimestamp : KEY_TIMESTAMP))))
  const out: string[] = ['{"metadata":{"feature_names":', namesJson(plan), '},"results":[']
  plan.entityColumns.forEach((c, i) => out.push(i ? ',{"values":' : '{"values":', stringifyJson(entities[c]!), keyTail))
  const column = new Array<string>(rowCount)
  plan.features.forEach((f, n) => {
    const { stored } = answer.views[f.view]!
    for (let i = 0; i < rowCount; i++) column[i] = stored[i]?.valueJson(f.valueIndex) ?? 'null'
    out.push(n || plan.entityColumns.length ? ',{"values":[' : '{"values":[', column.join(','), ']', viewTails[f.view]!)
  })
  out.push(']}')
  return out.join('')
}

/** The end of a result column: its statuses and timestamps, which need no JSON escaping. */
function tail(statuses: readonly string[], timestamps: readonly string[]): string {
  return `,"statuses":[${quoted(statuses)}],"event_timestamps":[${quoted(timestamps)}]}`
}

function quoted(texts: readonly string[]): string {
  return texts.length ? `"${texts.join('","')}"` : ''
}

const namesJsonByPlan = new WeakMap<OnlinePlan, string>()

function namesJson(plan: OnlinePlan): string {
  let json = namesJsonByPlan.get(plan)
  if (json === undefined) namesJsonByPlan.set(plan, (json = JSON.stringify(plan.featureNames)))
  return json
}


function keysOf(view: PlannedOnlineView, entities: Record<string, Value[]>, rowCount: number): (string | null)[] {
  const cols = view.entityColumns.map((c) => entities[c]!)
  const keys = new Array<string | null>(rowCount)
  for (let i = 0; i < rowCount; i++) keys[i] = encodeEntityKey(cols.map((c) => c[i] ?? null))
  return keys
}
