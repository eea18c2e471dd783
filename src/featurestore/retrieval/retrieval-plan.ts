import { Errors } from '../../core/index.js'
import type { Column, ColumnType } from '../../engines/index.js'
import { serviceEntryFeatures, serviceEntryView, type FeatureServiceDefinition } from '../definitions/feature-service.js'
import type { StoredFeatureView } from '../definitions/feature-view.js'
import { sourceColumnResolver, type SourceDefinition } from '../definitions/source.js'
import { parseFeatureRef, parseViewName } from '../feature-refs.js'

/** A historical-retrieval request, as the CLI and the API receive it. */
export interface HistoricalRequest {
  /** `view:feature` / `view@N:feature` references; or give `featureService`. */
  readonly features?: readonly string[]
  readonly featureService?: string
  /** The feature service's version to read; its current one when absent. */
  readonly featureServiceVersion?: number
  /**
   * Versions for the views the request names without one (`view:feature`, a service entry without
   * `@N`): how a consumer keeps reading what it was pinned to after a new apply.
   */
  readonly viewVersions?: Readonly<Record<string, number>>
  /** Name feature columns `<view|alias>__<feature>`. */
  readonly fullFeatureNames?: boolean
  /** The entity rows' event-time column (default `event_timestamp`). */
  readonly timestampColumn?: string
  /** Ignore feature rows created after the entity timestamp (rows without a created timestamp stay). */
  readonly filterByCreatedTimestamp?: boolean
}

/** One version of a view with the columns its source has, as the planner needs it. */
export interface ResolvedView {
  readonly name: string
  readonly version: number
  readonly spec: StoredFeatureView
  /** The source relation's columns (names and logical types). */
  readonly sourceColumns: readonly Column[]
}

/** The registry as the pure planner sees it (prefetched by the caller). */
export interface RegistryLookup {
  /** The view's given version, or its current one; throws a bad-input error naming the known views. */
  view(name: string, version?: number): ResolvedView
  service(name: string): FeatureServiceDefinition
}

export interface PlannedFeature {
  readonly feature: string
  /** The source column holding it (after `field_mapping`). */
  readonly sourceColumn: string
  readonly dtype: string
  /** The source column's type as its engine names it (DuckDB: `DOUBLE`; PostgreSQL: a type oid). */
  readonly sourceEngineType: string
  /** The output column name. */
  readonly output: string
}

export interface PlannedJoinKey {
  /** The view's join key. */
  readonly key: string
  readonly sourceColumn: string
  /** The entity-row column holding it (`join_key_map` or the key's own name). */
  readonly entityColumn: string
}

/** One (view version, alias, join-key mapping) joined to the entity rows. */
export interface PlannedView {
  readonly view: string
  readonly version: number
  /** The prefix of full feature names: the alias, else the view name. */
  readonly prefix: string
  readonly source: SourceDefinition
  readonly joinKeys: readonly PlannedJoinKey[]
  /**
   * False when a join key's entity column and source column have different kinds of type
   * (the string "1" is not the number 1): no row can match, every feature is null.
   */
  readonly keysComparable: boolean
  readonly timestampColumn: string
  readonly createdColumn?: string
  /** Seconds; 0 = no lower bound. A row is visible when `entity_ts − ttl ≤ feature_ts ≤ entity_ts`. */
  readonly ttlSeconds: number
  /** Drop rows whose created timestamp is after the entity timestamp (only when the view has a created column). */
  readonly filterByCreated: boolean
  readonly features: readonly PlannedFeature[]
}

/**
 * Everything a renderer needs, with all semantics decided: which row wins (latest event
 * timestamp, then latest created timestamp, null created lowest; the whole winning row supplies
 * the view's features), the ttl window, names. Renderers only translate it into SQL.
 */
export interface RetrievalPlan {
  readonly views: readonly PlannedView[]
  /** The entity rows' columns, passed through in order. */
  readonly entityColumns: readonly Column[]
  readonly entityTimestampColumn: string
  /** Entity columns, then features grouped by view in order of first appearance. */
  readonly outputColumns: readonly string[]
}

interface Selection {
  view: string
  version?: number
  features?: string[]
  alias?: string
  joinKeyMap: Record<string, string>
  where: string
}

/** The views (and versions) a request reads, so a caller can prefetch them for the lookup. */
export function requestedViews(request: HistoricalRequest, service?: FeatureServiceDefinition): { view: string; version?: number }[] {
  return selectionsOf(request, service).map(({ view, version }) => ({ view, version }))
}

/** Turns a request into a retrieval plan. Pure: every input comes from `lookup` and `entityColumns`. */
export function planRetrieval(request: HistoricalRequest, lookup: RegistryLookup, entityColumns: readonly Column[], entitiesWhere = 'entity rows'): RetrievalPlan {
  const service = request.featureService !== undefined ? lookup.service(request.featureService) : undefined
  const selections = selectionsOf(request, service)
  const tsColumn = request.timestampColumn ?? 'event_timestamp'
  const columnsByName = new Map(entityColumns.map((c) => [c.name, c]))
  if (!columnsByName.has(tsColumn)) {
    throw Errors.badInput(entitiesWhere, `no timestamp column ${JSON.stringify(tsColumn)} among its ${entityColumns.length} columns; name it with --timestamp-column`)
  }

  // Group selections into planned views in order of first appearance.
  const groups = new Map<string, { selection: Selection; resolved: ResolvedView; features: string[] }>()
  for (const s of selections) {
    const resolved = lookup.view(s.view, s.version)
    const known = resolved.spec.schema.map((f) => f.name)
    for (const f of s.features ?? []) {
      if (!known.includes(f)) throw Errors.unknownReference(s.where, 'feature', f, known, `view ${resolved.name}@${resolved.version}`)
    }
    const key = JSON.stringify([resolved.name, resolved.version, s.alias ?? null, Object.entries(s.joinKeyMap).sort()])
    const group = groups.get(key) ?? { selection: s, resolved, features: [] }
    groups.set(key, group)
    group.features.push(...(s.features ?? known))
  }

  const outputs = new Map<string, string>() // output column → what produces it
  for (const c of entityColumns) outputs.set(c.name, `entity column ${c.name}`)
  const views = [...groups.values()].map(({ selection, resolved, features }) => {
    const spec = resolved.spec
    const prefix = selection.alias ?? resolved.name
    const sourceColumnOf = sourceColumnResolver(spec.source.field_mapping)
    const sourceTypes = new Map(resolved.sourceColumns.map((c) => [c.name, c.type]))
    const sourceEngineTypes = new Map(resolved.sourceColumns.map((c) => [c.name, c.engineType]))
    const requireSourceColumn = (column: string, role: string) => {
      if (!sourceTypes.has(column)) {
        throw Errors.sourceUnreadable(spec.source.name, `it has no column ${JSON.stringify(column)} (${role} of view ${resolved.name}@${resolved.version}); columns: ${[...sourceTypes.keys()].join(', ')}`)
      }
      return column
    }
    for (const k of Object.keys(selection.joinKeyMap)) {
      if (!spec.join_keys.includes(k)) throw Errors.unknownReference(`${selection.where}.join_key_map`, 'join key', k, spec.join_keys, `view ${resolved.name}`)
    }
    const joinKeys = spec.join_keys.map((key): PlannedJoinKey => {
      const entityColumn = selection.joinKeyMap[key] ?? key
      if (!columnsByName.has(entityColumn)) {
        throw Errors.badInput(entitiesWhere, `no join-key column ${JSON.stringify(entityColumn)} for view ${resolved.name} (columns: ${entityColumns.map((c) => c.name).join(', ')})`)
      }
      return { key, entityColumn, sourceColumn: requireSourceColumn(sourceColumnOf(key), 'join key') }
    })
    const keysComparable = joinKeys.every((k) => typeKind(columnsByName.get(k.entityColumn)!.type) === typeKind(sourceTypes.get(k.sourceColumn)!))
    const planned: PlannedFeature[] = features.map((feature) => {
      const output = request.fullFeatureNames ? `${prefix}__${feature}` : feature
      const taken = outputs.get(output)
      const producer = `feature ${resolved.name}:${feature}`
      if (taken) throw Errors.badInput('features', `${producer} and ${taken} both produce the column ${JSON.stringify(output)}${request.fullFeatureNames ? '' : ' (use full feature names or an alias)'}`)
      outputs.set(output, producer)
      const dtype = spec.schema.find((f) => f.name === feature)!.dtype
      const sourceColumn = requireSourceColumn(sourceColumnOf(feature), 'feature')
      return { feature, dtype, output, sourceColumn, sourceEngineType: sourceEngineTypes.get(sourceColumn)! }
    })
    const createdColumn = spec.source.created_timestamp_column
    return {
      view: resolved.name,
      version: resolved.version,
      prefix,
      source: spec.source,
      joinKeys,
      keysComparable,
      timestampColumn: requireSourceColumn(spec.source.timestamp_field, 'timestamp_field'),
      ...(createdColumn ? { createdColumn: requireSourceColumn(createdColumn, 'created_timestamp_column') } : {}),
      ttlSeconds: spec.ttl_seconds,
      filterByCreated: Boolean(request.filterByCreatedTimestamp && createdColumn),
      features: planned,
    }
  })
  return {
    views,
    entityColumns,
    entityTimestampColumn: tsColumn,
    outputColumns: [...outputs.keys()],
  }
}

function selectionsOf(request: HistoricalRequest, service?: FeatureServiceDefinition): Selection[] {
  const hasRefs = request.features !== undefined && request.features.length > 0
  if (hasRefs === (request.featureService !== undefined)) {
    throw Errors.badInput('request', 'give either feature references (--features) or a feature service (--feature-service), not both or neither')
  }
  if (!hasRefs && !service) return []
  const pins = request.viewVersions ?? {}
  const selections: Selection[] = hasRefs
    ? request.features!.map((text, i) => {
      const ref = parseFeatureRef(text, `features[${i}]`)
      return { view: ref.view, version: ref.version ?? pins[ref.view], features: [ref.feature], joinKeyMap: {}, where: `features[${i}]` }
    })
    : service!.features.map((entry, i) => {
      const { view, version } = parseViewName(serviceEntryView(entry))
      const object = typeof entry === 'string' ? { joinKeyMap: {} } : { alias: entry.alias, joinKeyMap: entry.join_key_map }
      return { view, version: version ?? pins[view], features: serviceEntryFeatures(entry), ...object, where: `feature service ${service!.name}: features[${i}]` }
    })
  const read = new Set(selections.map((s) => s.view))
  for (const view of Object.keys(pins)) {
    if (!read.has(view)) throw Errors.unknownReference('view versions', 'view', view, [...read], service ? `feature service ${service.name}` : 'the requested features')
  }
  return selections
}

/** Key values compare only within one kind: numbers with numbers (1 = 1.0), strings with strings. */
function typeKind(type: ColumnType): string {
  switch (type) {
    case 'int32': case 'int64': case 'float32': case 'float64': case 'decimal': return 'number'
    case 'string': case 'uuid': return 'string'
    default: return type
  }
}
