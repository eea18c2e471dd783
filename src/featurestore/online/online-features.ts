import { z } from 'zod'
import { formatMicros } from '../../core/index.js'
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
  readonly views: readonly PlannedOnlineView[]
  /** In request order. */
  readonly features: readonly { readonly name: string; readonly view: number; readonly valueIndex: number }[]
}

/** Feast reports join keys as present "at" the epoch. */
const KEY_TIMESTAMP = '1970-01-01T00:00:00Z'

/**
 * Answers an online request from a plan made for its entity columns (`planOnline` checks the
 * join keys): one store read for all views, then column-oriented assembly. Statuses: PRESENT;
 * NOT_FOUND (no value, or a null key); OUTSIDE_MAX_AGE when `now − event_timestamp > ttl` (the
 * value is still returned, as Feast's servers do). Statuses and timestamps depend only on the
 * view and the row, so each view's arrays are built once and shared by its features.
 */
export async function readOnlineFeatures(
  store: OnlineStore, plan: OnlinePlan, entities: Record<string, Value[]>, nowMicros: number,
): Promise<OnlineFeaturesResponse> {
  const columns = Object.keys(entities)
  const rowCount = columns.length ? entities[columns[0]!]!.length : 0
  const found = await store.read(plan.views.map((view) => ({ ref: view.ref, keys: keysOf(view, entities, rowCount) })))
  const results: OnlineFeaturesResponse['results'] = columns.map((c) => ({
    values: entities[c]!,
    statuses: new Array<FieldStatus>(rowCount).fill('PRESENT'),
    event_timestamps: new Array<string>(rowCount).fill(KEY_TIMESTAMP),
  }))
  const perView = plan.views.map((view, v) => {
    const stored = found[v]!
    const statuses: FieldStatus[] = []
    const timestamps: string[] = []
    for (let i = 0; i < rowCount; i++) {
      const s = stored[i]
      statuses.push(!s ? 'NOT_FOUND' : view.ttlMicros > 0 && nowMicros - s.eventTs > view.ttlMicros ? 'OUTSIDE_MAX_AGE' : 'PRESENT')
      timestamps.push(s ? formattedTimestamp(s) : KEY_TIMESTAMP)
    }
    return { stored, statuses, timestamps }
  })
  for (const f of plan.features) {
    const { stored, statuses, timestamps } = perView[f.view]!
    const values: Value[] = []
    for (let i = 0; i < rowCount; i++) values.push(stored[i]?.values[f.valueIndex] ?? null)
    results.push({ values, statuses, event_timestamps: timestamps })
  }
  return { metadata: { feature_names: [...columns, ...plan.features.map((f) => f.name)] }, results }
}

/** ISO-8601 of a stored value's event time, formatted once per stored value. */
function formattedTimestamp(s: StoredValue): string {
  return s.eventTimestamp ??= formatMicros(BigInt(s.eventTs))
}

function keysOf(view: PlannedOnlineView, entities: Record<string, Value[]>, rowCount: number): (string | null)[] {
  const cols = view.entityColumns.map((c) => entities[c]!)
  const keys = new Array<string | null>(rowCount)
  for (let i = 0; i < rowCount; i++) keys[i] = encodeEntityKey(cols.map((c) => c[i] ?? null))
  return keys
}
