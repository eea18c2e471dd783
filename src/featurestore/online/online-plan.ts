import type { Kysely } from 'kysely'
import { Errors } from '../../core/index.js'
import type { Column } from '../../engines/index.js'
import type { MetadataSchema } from '../../metadata/index.js'
import { serviceEntryFeatures, serviceEntryView, type FeatureServiceDefinition } from '../definitions/feature-service.js'
import type { StoredFeatureView } from '../definitions/feature-view.js'
import { parseFeatureRef, parseViewName } from '../feature-refs.js'
import { getObjectVersion } from '../registry/versions.js'
import { planRetrieval, requestedViews, type HistoricalRequest, type ResolvedView } from '../retrieval/retrieval-plan.js'
import type { OnlinePlan } from './online-features.js'

/** The shape of an online request that decides its plan. */
export interface OnlineRequestShape {
  readonly features?: readonly string[]
  readonly featureService?: string
  readonly fullFeatureNames: boolean
  /** The request's entity columns, in request order. */
  readonly entityColumns: readonly string[]
}

/** Not a plain identifier, so no feature or entity column can be named like it. */
const REQUEST_TIME = '@request_time'

/**
 * Resolves an online request against the registry with the same planner as historical
 * retrieval, so names, aliases, `join_key_map`, versions and collisions mean the same online
 * and offline. Features come out in request order (issue 4: join keys first, then features in
 * request order). Online reads never touch the source, so the planner is given the columns the
 * view declares instead of the source's (and key types are compared by the key encoding).
 */
export async function planOnline(db: Kysely<MetadataSchema>, project: string, shape: OnlineRequestShape): Promise<OnlinePlan> {
  const request: HistoricalRequest = {
    ...(shape.features ? { features: shape.features } : {}),
    ...(shape.featureService !== undefined ? { featureService: shape.featureService } : {}),
    fullFeatureNames: shape.fullFeatureNames,
    timestampColumn: REQUEST_TIME,
  }
  const service = shape.featureService !== undefined
    ? (await getObjectVersion(db, project, 'feature_service', shape.featureService)).spec as FeatureServiceDefinition
    : undefined
  const views = new Map<string, ResolvedView>()
  for (const { view, version } of requestedViews(request, service)) {
    const key = `${view}@${version ?? ''}`
    if (views.has(key)) continue
    const stored = await getObjectVersion(db, project, 'feature_view', view, version)
    const spec = stored.spec as StoredFeatureView
    if (!spec.online) throw Errors.badInput('features', `feature view ${view}@${stored.version} is not served online (online: false)`)
    views.set(key, { name: view, version: stored.version, spec, sourceColumns: declaredColumns(spec) })
  }
  const entityColumns: Column[] = [...shape.entityColumns, REQUEST_TIME].map((name) => ({ name, type: 'other', engineType: 'json' }))
  const plan = planRetrieval(request, {
    view: (name, version) => views.get(`${name}@${version ?? ''}`)!,
    service: () => service!,
  }, entityColumns, 'entities')
  const specs = new Map([...views.values()].map((v) => [`${v.name}@${v.version}`, v.spec]))
  const features = inRequestOrder(requestedOutputs(shape, service, views), plan.views.flatMap((v, i) => {
    const schema = specs.get(`${v.view}@${v.version}`)!.schema
    return v.features.map((f) => ({ name: f.output, view: i, valueIndex: schema.findIndex((s) => s.name === f.feature) }))
  }))
  return {
    entityColumns: shape.entityColumns,
    views: plan.views.map((v) => ({
      ref: { view: v.view, version: v.version },
      entityColumns: v.joinKeys.map((k) => k.entityColumn),
      ttlMicros: v.ttlSeconds * 1e6,
    })),
    features,
    featureNames: [...shape.entityColumns, ...features.map((f) => f.name)],
  }
}

/**
 * The output column names in the order the request asked for them (reference order, or the
 * service's entries in order). The planner groups features by view, as historical output does;
 * an online response lists them in request order.
 */
function requestedOutputs(shape: OnlineRequestShape, service: FeatureServiceDefinition | undefined, views: ReadonlyMap<string, ResolvedView>): string[] {
  const name = (prefix: string, feature: string) => (shape.fullFeatureNames ? `${prefix}__${feature}` : feature)
  if (!service) return (shape.features ?? []).map((text) => { const r = parseFeatureRef(text); return name(r.view, r.feature) })
  return service.features.flatMap((entry) => {
    const { view, version } = parseViewName(serviceEntryView(entry))
    const features = serviceEntryFeatures(entry) ?? views.get(`${view}@${version ?? ''}`)!.spec.schema.map((f) => f.name)
    const prefix = typeof entry === 'string' ? view : entry.alias ?? view
    return features.map((f) => name(prefix, f))
  })
}

function inRequestOrder<F extends { name: string }>(order: readonly string[], features: F[]): F[] {
  const position = new Map(order.map((n, i) => [n, i] as const))
  return [...features].sort((a, b) => (position.get(a.name) ?? 0) - (position.get(b.name) ?? 0))
}

/** Every source column a view's definition names (join keys, features, timestamps, field_mapping keys). */
function declaredColumns(spec: StoredFeatureView): Column[] {
  const names = new Set([
    ...spec.join_keys, ...spec.schema.map((f) => f.name), ...Object.keys(spec.source.field_mapping),
    spec.source.timestamp_field, ...(spec.source.created_timestamp_column ? [spec.source.created_timestamp_column] : []),
  ])
  return [...names].map((name) => ({ name, type: 'other', engineType: 'declared' }))
}
