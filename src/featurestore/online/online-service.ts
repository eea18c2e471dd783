import { dateToMicros, parseOrThrow, type Logger } from '../../core/index.js'
import { onlineRepo, type MaterializationRunRow, type MetadataStore } from '../../metadata/index.js'
import type { FeatureStore } from '../feature-store.js'
import { materialize, materializeIncremental, type MaterializationGate, type MaterializationReport } from '../materialize.js'
import { answerOnline, onlineResponse, onlineResponseJson, parseOnlineRequest, type GetOnlineFeaturesRequest, type OnlineAnswer, type OnlineFeaturesResponse, type OnlinePlan } from './online-features.js'
import { planOnline, type OnlineRequestShape } from './online-plan.js'
import type { CacheStats } from './online-store.js'
import { openOnlineStore } from './open-online-store.js'
import { pushRequestSchema, pushRows, type PushRequest, type PushResult } from './push.js'

export interface OnlineServiceDeps {
  readonly featureStore: FeatureStore
  readonly metadata: MetadataStore
  readonly log: Logger
  /** Run on every batch before it is written online (the composition root wires checkpoints in). */
  readonly gate?: MaterializationGate
  /**
   * How long a resolved request shape is reused before it is refreshed in the background, in ms
   * (default 5000, Feast's default registry ttl for its feature server); `invalidatePlans`
   * forgets them at once.
   */
  readonly planTtlMs?: number
  /** Server mode: most entries of the in-process cache (`OnlineStoreOptions.cacheEntries`). */
  readonly cacheEntries?: number
  /** The clock for OUTSIDE_MAX_AGE (tests pin it). */
  readonly now?: () => Date
}

/** Materialization, online reads (Feast's `/get-online-features`) and pushes (Feast's `/push`). */
export interface OnlineService {
  /** Writes, per entity, the latest row with `start ≤ ts ≤ end` (ISO-8601; no offset = UTC). */
  materialize(start: string, end: string, views?: readonly string[]): Promise<MaterializationReport>
  /** From each view's watermark to `end`. */
  materializeIncremental(end: string, views?: readonly string[]): Promise<MaterializationReport>
  /** Validates the request and answers in Feast's response shape. */
  getOnlineFeatures(request: GetOnlineFeaturesRequest): Promise<OnlineFeaturesResponse>
  /** The same answer as its JSON text in UTF-8, written without building the response object (the HTTP hot path). */
  getOnlineFeaturesJson(request: GetOnlineFeaturesRequest): Promise<Buffer>
  push(request: PushRequest): Promise<PushResult>
  /** Materialization runs, newest first. */
  listRuns(options?: { view?: string; limit?: number }): Promise<MaterializationRunRow[]>
  /** Forgets resolved request shapes (call after `apply`). */
  invalidatePlans(): void
  /** The online store's cache counters, for metrics. */
  cacheStats(): CacheStats
  /** Closes what the online store opened (server mode's LISTEN session). */
  close(): Promise<void>
}

/** A resolved request shape, reused until `expires` and then refreshed in the background. */
interface CachedPlan {
  readonly plan: Promise<OnlinePlan>
  readonly expires: number
  refreshing?: boolean
}

export function createOnlineService(deps: OnlineServiceDeps): OnlineService {
  const project = deps.featureStore.project
  const store = openOnlineStore(deps.metadata, project, { cacheEntries: deps.cacheEntries })
  const now = deps.now ?? (() => new Date())
  const planTtlMs = deps.planTtlMs ?? 5000
  const plans = new Map<string, CachedPlan>()
  const materializeDeps = { featureStore: deps.featureStore, metadata: deps.metadata, store, gate: deps.gate, log: deps.log }

  /**
   * Past its ttl a plan is resolved again in the background while requests keep using it, as
   * Feast's feature server refreshes its registry: once a request shape is known, no request
   * waits for the registry (a re-plan is a few registry queries, milliseconds that every
   * request arriving meanwhile would otherwise wait out).
   */
  const refresh = (key: string, shape: OnlineRequestShape, cached: CachedPlan): void => {
    cached.refreshing = true
    planOnline(deps.metadata.db, project, shape).then(
      (plan) => { if (plans.get(key) === cached) plans.set(key, { plan: Promise.resolve(plan), expires: Date.now() + planTtlMs }) },
      // The registry changed under it: the next request plans afresh and meets the error.
      () => { if (plans.get(key) === cached) plans.delete(key) },
    )
  }

  const planFor = (shape: OnlineRequestShape): Promise<OnlinePlan> => {
    const key = JSON.stringify([shape.features ?? null, shape.featureService ?? null, shape.fullFeatureNames, shape.entityColumns])
    const cached = plans.get(key)
    if (cached) {
      if (cached.expires <= Date.now() && !cached.refreshing) refresh(key, shape, cached)
      return cached.plan
    }
    const plan = planOnline(deps.metadata.db, project, shape)
    plans.set(key, { plan, expires: Date.now() + planTtlMs })
    plan.catch(() => plans.delete(key)) // errors are not remembered: the registry may change
    return plan
  }

  const answer = async (raw: GetOnlineFeaturesRequest): Promise<OnlineAnswer> => {
    const request = parseOnlineRequest(raw)
    const plan = await planFor({
      ...(request.features ? { features: request.features } : {}),
      ...(request.feature_service !== undefined ? { featureService: request.feature_service } : {}),
      fullFeatureNames: request.full_feature_names,
      entityColumns: Object.keys(request.entities),
    })
    return answerOnline(store, plan, request.entities, Number(dateToMicros(now())))
  }

  return {
    materialize: (start, end, views) => materialize(materializeDeps, { start, end }, views),
    materializeIncremental: (end, views) => materializeIncremental(materializeDeps, end, views),
    getOnlineFeatures: async (raw) => onlineResponse(await answer(raw)),
    getOnlineFeaturesJson: async (raw) => onlineResponseJson(await answer(raw)),
    push: async (raw) => pushRows(deps.featureStore, store, parseOrThrow(pushRequestSchema, raw, 'request')),
    listRuns: (options) => onlineRepo.listRuns(deps.metadata.db, project, options),
    invalidatePlans: () => plans.clear(),
    cacheStats: () => store.cacheStats(),
    close: () => store.close(),
  }
}
