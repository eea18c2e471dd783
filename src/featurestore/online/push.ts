import { z } from 'zod'
import { Errors, normalizeTimestamp } from '../../core/index.js'
import type { Row, Value } from '../../engines/index.js'
import type { FeatureStore, ResolvedFeatureView } from '../feature-store.js'
import { toRecords } from '../materialize.js'
import { sourceColumnResolver } from '../definitions/source.js'
import type { OnlineStore } from './online-store.js'

/** The body of Feast's `POST /push` (wire field names kept): column-oriented rows of one source. */
export const pushRequestSchema = z.strictObject({
  push_source_name: z.string().min(1),
  /** Source column → one value per row; every array has the same length. */
  df: z.record(z.string(), z.array(z.any())),
  to: z.enum(['online', 'offline', 'online_and_offline']).default('online'),
  /** Accepted for Feast compatibility; asof always reads the registry it serves. */
  allow_registry_cache: z.boolean().optional(),
}).refine((r) => new Set(Object.values(r.df).map((v) => v.length)).size <= 1, {
  message: 'every df column must have the same length', path: ['df'],
})

export type PushRequest = z.input<typeof pushRequestSchema>

export interface PushResult {
  readonly rows: number
  /** Online: the view versions written and how many entities changed in each. */
  readonly online: { view: string; version: number; written: number }[]
  /** Offline: rows appended to the source table. */
  readonly offline: number
}

/**
 * Pushes rows of a source (named by their source columns, like Feast's push df) to the online
 * store of every online view reading that source (current versions, newer wins), to the
 * source's table, or both. Offline pushes need a `duckdb` or `postgres` source with a `table`:
 * files and queries cannot be appended to.
 */
export async function pushRows(
  featureStore: Pick<FeatureStore, 'listObjects' | 'resolveFeatureView' | 'getObject'>, store: OnlineStore, request: z.output<typeof pushRequestSchema>,
): Promise<PushResult> {
  const sourceName = request.push_source_name
  await featureStore.getObject('source', sourceName, undefined, 'reference') // bad input, naming the known sources
  const columns = Object.keys(request.df)
  const count = columns.length ? request.df[columns[0]!]!.length : 0
  const rows: Row[] = Array.from({ length: count }, (_, i) => Object.fromEntries(columns.map((c) => [c, request.df[c]![i] as Value])))
  const views = []
  for (const o of await featureStore.listObjects('feature_view')) {
    const resolved = await featureStore.resolveFeatureView(o.name)
    if (resolved.spec.source.name === sourceName) views.push(resolved)
  }
  if (views.length === 0) throw Errors.badInput('push_source_name', `no feature view reads source ${sourceName}`)
  // Everything is checked before anything is written, so a bad push changes nothing.
  const onlineWrites = request.to === 'offline' ? [] : views.filter((v) => v.spec.online).map(({ spec, version }) => {
    const sourceColumnOf = sourceColumnResolver(spec.source.field_mapping)
    const names = [...spec.join_keys, ...spec.schema.map((f) => f.name)]
    const missing = [...names.map(sourceColumnOf), spec.source.timestamp_field].filter((c) => !columns.includes(c))
    if (missing.length) throw Errors.badInput('df', `missing column ${missing.join(', ')} for feature view ${spec.name}; given: ${columns.join(', ') || '(none)'}`)
    const named = rows.map((r, i) => {
      const out: Row = { ...r }
      for (const n of names) out[n] = r[sourceColumnOf(n)] ?? null
      for (const f of spec.schema) out[f.name] = checkedValue(f.dtype, out[f.name]!, `df.${sourceColumnOf(f.name)}[${i}]`)
      return out
    })
    return { ref: { view: spec.name, version }, records: toRecords(spec, named, 'df') }
  })
  const offline = request.to === 'online' ? undefined : await offlineTarget(views[0]!, columns)
  const appended = offline ? await offline.append(rows) : 0
  // All the views in one write: a push is atomic across them.
  const stats = onlineWrites.length ? await store.write(onlineWrites) : []
  const online = onlineWrites.map(({ ref }, i) => ({ ...ref, written: stats[i]!.written }))
  return { rows: count, online, offline: appended }
}

/** The source table an offline push appends to, checked against the pushed columns. */
async function offlineTarget({ spec, engine, relation }: ResolvedFeatureView, columns: readonly string[]) {
  if (relation.kind !== 'table') {
    throw Errors.badInput('to', `source ${spec.source.name} is a ${spec.source.kind === 'file' ? 'file' : 'query'}; offline pushes append to a duckdb or postgres table source, so push with to: "online"`)
  }
  const tableColumns = await engine.describe(relation)
  const unknown = columns.filter((c) => !tableColumns.some((t) => t.name === c))
  if (unknown.length) throw Errors.badInput('df', `table ${relation.name} has no column ${unknown.join(', ')}; columns: ${tableColumns.map((t) => t.name).join(', ')}`)
  const target = tableColumns.filter((t) => columns.includes(t.name))
  return { append: (rows: readonly Row[]) => engine.insertRows(relation.name, target, rows.map((r) => target.map((t) => r[t.name] ?? null))) }
}

const NUMERIC = new Set(['int32', 'int64', 'float32', 'float64'])

/**
 * A pushed feature value checked against its dtype (JSON has no other way to say what a value
 * is); timestamps are normalized to UTC like materialized ones. Lists are checked element-wise.
 */
function checkedValue(dtype: string, value: Value, where: string): Value {
  if (value === null) return null
  const list = /^list<(\w+)>$/.exec(dtype)
  if (list) {
    if (!Array.isArray(value)) throw Errors.badInput(where, `expected a list of ${list[1]}, got ${JSON.stringify(value)}`)
    return value.map((v, i) => checkedValue(list[1]!, v, `${where}[${i}]`))
  }
  const ok = NUMERIC.has(dtype) ? typeof value === 'number' || typeof value === 'bigint'
    : dtype === 'bool' ? typeof value === 'boolean'
      : typeof value === 'string' // string; bytes as base64; timestamp as ISO-8601
  if (!ok) throw Errors.badInput(where, `expected a ${dtype} value, got ${JSON.stringify(value)}`)
  if ((dtype === 'int32' || dtype === 'int64') && typeof value === 'number' && !Number.isInteger(value)) {
    throw Errors.badInput(where, `expected an integer, got ${value}`)
  }
  return dtype === 'timestamp' ? normalizeTimestamp(value as string, where) : value
}
