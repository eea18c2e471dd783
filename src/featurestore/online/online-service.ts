import { dateToMicros, parseOrThrow, type Logger } from '../../core/index.js'
import { onlineRepo, type MaterializationRunRow, type MetadataStore } from '../../metadata/index.js'
import type { FeatureStore } from '../feature-store.js'
import { currentOnlineViews, materialize, materializeIncremental, type MaterializationGate, type MaterializationReport } from '../materialize.js'
import { answerOnline, onlineResponse, onlineResponseJson, parseOnlineRequest, type GetOnlineFeaturesRequest, type OnlineAnswer, type OnlineFeaturesResponse, type OnlinePlan } from './online-features.js'
import { planOnline, type OnlineRequestShape } from './online-plan.js'
import type { CacheStats, OnlineViewRef } from './online-store.js'
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
  /**
   * Most request shapes whose plans are kept (default 10,000); past it they are all forgotten
   * and re-planned on use, so clients asking ever new feature lists cannot grow memory.
   */
  readonly maxPlans?: number
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
  /**
   * The same answer as its JSON text in UTF-8, written without building the response object
   * (the HTTP hot path), into `allocate(size)` (`onlineResponseJson`).
   */
  getOnlineFeaturesJson(request: GetOnlineFeaturesRequest, allocate?: (size: number) => Buffer): Promise<Buffer>
  push(request: PushRequest): Promise<PushResult>
  /** Materialization runs, newest first. */
  listRuns(options?: { view?: string; limit?: number }): Promise<MaterializationRunRow[]>
  /**
   * Loads the current version of every online feature view into the in-process cache ahead of
   * the first request (`OnlineStore.preload`; embedded mode); returns those view versions.
   */
  preload(): Promise<readonly OnlineViewRef[]>
  /** Forgets resolved request shapes (call after `apply`). */
  invalidatePlans(): void
  /** The online store's cache counters, for metrics. */
  cacheStats(): CacheStats
  /** Closes what the online store opened (server mode's LISTEN session). */
  close(): Promise<void>
}

/** A resolved request shape, reused until `expires` and then refreshed in the background. */
interface CachedPlan {
  readonly shape: OnlineRequestShape
  plan: Promise<OnlinePlan>
  expires: number
  refreshing: boolean
}

/**
 * Resolved plans by request shape. A shape names up to hundreds of features, so the map is keyed
 * by a few of its parts and a bucket's shapes are told apart by comparing them whole: a key
 * made of the whole shape (its JSON) cost 6 µs per request to build and hash, a quarter of a
 * one-entity lookup.
 */
class PlanCache {
  private readonly buckets = new Map<string, CachedPlan[]>()
  private size = 0

  constructor(private readonly maxShapes: number) {}

  get(shape: OnlineRequestShape): CachedPlan | undefined {
    return this.buckets.get(bucketKey(shape))?.find((cached) => sameShape(cached.shape, shape))
  }

  add(cached: CachedPlan): void {
    if (this.size >= this.maxShapes) this.clear()
    const key = bucketKey(cached.shape)
    const bucket = this.buckets.get(key)
    if (bucket) bucket.push(cached)
    else this.buckets.set(key, [cached])
    this.size++
  }

  delete(cached: CachedPlan): void {
    const key = bucketKey(cached.shape)
    const bucket = this.buckets.get(key)
    const at = bucket ? bucket.indexOf(cached) : -1
    if (at < 0) return
    bucket!.splice(at, 1)
    this.size--
    if (!bucket!.length) this.buckets.delete(key)
  }

  clear(): void {
    this.buckets.clear()
    this.size = 0
  }
}

function bucketKey({ features, featureService, fullFeatureNames, entityColumns }: OnlineRequestShape): string {
  const selection = features ? `${features.length}\u0000${features[0]}\u0000${features[features.length - 1]}` : `@${featureService}`
  return `${fullFeatureNames}\u0000${selection}\u0000${entityColumns.join('\u0000')}`
}

function sameShape(a: OnlineRequestShape, b: OnlineRequestShape): boolean {
  return a.featureService === b.featureService && a.fullFeatureNames === b.fullFeatureNames &&
    sameStrings(a.features, b.features) && sameStrings(a.entityColumns, b.entityColumns)
}

function sameStrings(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function createOnlineService(deps: OnlineServiceDeps): OnlineService {
  const project = deps.featureStore.project
  const store = openOnlineStore(deps.metadata, project, { cacheEntries: deps.cacheEntries })
  const now = deps.now ?? (() => new Date())
  const planTtlMs = deps.planTtlMs ?? 5000
  const plans = new PlanCache(deps.maxPlans ?? 10_000)
  const materializeDeps = { featureStore: deps.featureStore, metadata: deps.metadata, store, gate: deps.gate, log: deps.log }

  /**
   * Past its ttl a plan is resolved again in the background while requests keep using it, as
   * Feast's feature server refreshes its registry: once a request shape is known, no request
   * waits for the registry (a re-plan is a few registry queries, milliseconds that every
   * request arriving meanwhile would otherwise wait out).
   */
  const refresh = (cached: CachedPlan): void => {
    cached.refreshing = true
    planOnline(deps.metadata.db, project, cached.shape).then(
      (plan) => {
        cached.plan = Promise.resolve(plan)
        cached.expires = Date.now() + planTtlMs
        cached.refreshing = false
      },
      // The registry changed under it: the next request plans afresh and meets the error.
      () => plans.delete(cached),
    )
  }

  const planFor = (shape: OnlineRequestShape): Promise<OnlinePlan> => {
    const cached = plans.get(shape)
    if (cached) {
      if (cached.expires <= Date.now() && !cached.refreshing) refresh(cached)
      return cached.plan
    }
    // The request's arrays are its caller's: the cache keeps copies.
    const kept: OnlineRequestShape = { ...shape, features: shape.features && [...shape.features], entityColumns: [...shape.entityColumns] }
    const entry: CachedPlan = { shape: kept, plan: planOnline(deps.metadata.db, project, kept), expires: Date.now() + planTtlMs, refreshing: false }
    plans.add(entry)
    entry.plan.catch(() => plans.delete(entry)) // errors are not remembered: the registry may change
    return entry.plan
  }

  const answer = async (raw: GetOnlineFeaturesRequest): Promise<OnlineAnswer> => {
    const request = parseOnlineRequest(raw)
    // A plain literal: spreading optional fields in cost ~5 µs a request.
    const plan = await planFor({
      features: request.features,
      featureService: request.feature_service,
      fullFeatureNames: request.full_feature_names,
      entityColumns: Object.keys(request.entities),
    })
    return answerOnline(store, plan, request.entities, Number(dateToMicros(now())))
  }

  return {
    materialize: (start, end, views) => materialize(materializeDeps, { start, end }, views),
    materializeIncremental: (end, views) => materializeIncremental(materializeDeps, end, views),
    getOnlineFeatures: async (raw) => onlineResponse(await answer(raw)),
    getOnlineFeaturesJson: async (raw, allocate) => onlineResponseJson(await answer(raw), allocate),
    push: async (raw) => pushRows(deps.featureStore, store, parseOrThrow(pushRequestSchema, raw, 'request')),
    listRuns: (options) => onlineRepo.listRuns(deps.metadata.db, project, options),
    preload: async () => {
      const refs = await currentOnlineViews(deps.featureStore)
      await store.preload(refs)
      return refs
    },
    invalidatePlans: () => plans.clear(),
    cacheStats: () => store.cacheStats(),
    close: () => store.close(),
  }
}
