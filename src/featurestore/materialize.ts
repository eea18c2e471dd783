import { sql, type RawBuilder } from 'kysely'
import { AsofError, Errors, formatMicros, isAsofError, newId, parseTimestampMicros, type Logger } from '../core/index.js'
import type { Engine, Relation, Row } from '../engines/index.js'
import { onlineRepo, type MetadataStore } from '../metadata/index.js'
import type { StoredFeatureView } from './definitions/feature-view.js'
import { sourceColumnResolver } from './definitions/source.js'
import type { FeatureStore } from './feature-store.js'
import { parseViewName } from './feature-refs.js'
import { encodeEntityKey } from './online/keys.js'
import { encodeBatchInDuckDb } from './online/duckdb-batch-encoding.js'
import type { OnlineRecord, OnlineStore, OnlineViewRef } from './online/online-store.js'

/**
 * A data-quality gate run on each batch before it is written online. The composition root wires
 * the expectations engine in (featurestore does not import expectations); `relation` is the
 * batch exactly as it would be written: join keys and features by name, plus the source's
 * timestamp (and created) column.
 */
export type MaterializationGate = (batch: { view: string; version: number; relation: Relation; engine: Engine }) =>
  Promise<{ success: boolean; resultId?: string; message?: string }>

export interface MaterializeDeps {
  readonly featureStore: Pick<FeatureStore, 'project' | 'resolveFeatureView' | 'listObjects' | 'getObject'>
  readonly metadata: MetadataStore
  readonly store: OnlineStore
  readonly gate?: MaterializationGate
  readonly log: Logger
}

/** What one view's materialization did. */
export interface ViewMaterialization {
  readonly view: string
  readonly version: number
  readonly runId: string
  /** ISO-8601 UTC; null = from the beginning of the source. */
  readonly start: string | null
  readonly end: string
  /** Entities in the batch (the latest row of each). */
  readonly rowsRead: number
  /** Entities whose online value changed (older rows never replace newer ones). */
  readonly rowsWritten: number
  readonly status: 'succeeded' | 'refused'
  readonly validationResultId?: string
  readonly message?: string
}

export interface MaterializationReport {
  readonly views: ViewMaterialization[]
}

/** A materialization report as the API and `asof materialize --json` print it (snake_case wire names). */
export interface MaterializationReportJson {
  readonly views: {
    view: string; version: number; run_id: string; start: string | null; end: string
    rows_read: number; rows_written: number; status: 'succeeded' | 'refused'; validation_result_id: string | null
  }[]
}

export function materializationReportJson(report: MaterializationReport): MaterializationReportJson {
  return {
    views: report.views.map((v) => ({
      view: v.view, version: v.version, run_id: v.runId, start: v.start, end: v.end,
      rows_read: v.rowsRead, rows_written: v.rowsWritten, status: v.status, validation_result_id: v.validationResultId ?? null,
    })),
  }
}

/**
 * Writes, per entity of each view, the latest row with `start ≤ event_timestamp ≤ end` (ties:
 * the latest created timestamp, null lowest) to the online store; every view whose batch
 * passes the gate is written atomically, and the watermark moves to `end`. A view whose batch
 * fails the gate is not written; after the other views ran, a gate-failed error names it.
 * `views` holds names or `name@N`; by default every feature view with `online: true`.
 */
export async function materialize(deps: MaterializeDeps, window: { start: string; end: string }, views?: readonly string[]): Promise<MaterializationReport> {
  const start = parseTimestampMicros(window.start, 'start')
  const end = parseTimestampMicros(window.end, 'end')
  if (start > end) throw Errors.badInput('start', `${formatMicros(start)} is after end ${formatMicros(end)}`)
  return materializeViews(deps, views, end, async () => start)
}

/**
 * Materializes each view from its watermark (the previous run's end) to `end`. A view without a
 * watermark starts at `end − ttl`, or at the beginning of its source when its ttl is unlimited,
 * as Feast's `materialize-incremental` does.
 */
export async function materializeIncremental(deps: MaterializeDeps, endText: string, views?: readonly string[]): Promise<MaterializationReport> {
  const end = parseTimestampMicros(endText, 'end')
  return materializeViews(deps, views, end, async (spec, version) => {
    const watermark = await onlineRepo.getWatermark(deps.metadata.db, deps.featureStore.project, spec.name, version)
    if (watermark !== undefined) return parseTimestampMicros(watermark)
    return spec.ttl_seconds > 0 ? end - BigInt(Math.round(spec.ttl_seconds * 1e6)) : null
  })
}

async function materializeViews(
  deps: MaterializeDeps, requested: readonly string[] | undefined, end: bigint,
  startOf: (spec: StoredFeatureView, version: number) => Promise<bigint | null>,
): Promise<MaterializationReport> {
  const report: ViewMaterialization[] = []
  for (const { view, version } of await targetViews(deps, requested)) {
    const resolved = await deps.featureStore.resolveFeatureView(view, version)
    if (!resolved.spec.online) throw Errors.badInput('--views', `feature view ${view} is not online (online: false)`)
    const start = await startOf(resolved.spec, resolved.version)
    report.push(await materializeView(deps, resolved, start, end))
  }
  const refused = report.filter((r) => r.status === 'refused')
  if (refused.length) {
    const { code, kind, message } = Errors.gateFailed('materialization', `the gate failed ${refused.map((r) => `${r.view}@${r.version}${r.message ? ` (${r.message})` : ''}`).join(', ')}; nothing was written for ${refused.length === 1 ? 'it' : 'them'}`)
    throw new AsofError(code, kind, message, { report })
  }
  return { views: report }
}

async function targetViews(deps: MaterializeDeps, requested: readonly string[] | undefined): Promise<{ view: string; version?: number }[]> {
  if (requested && requested.length) return requested.map((text) => parseViewName(text, '--views'))
  return currentOnlineViews(deps.featureStore)
}

/**
 * The current version of every feature view with `online: true`: what materialization writes
 * by default, and what the embedded online cache preloads. Read from the registry alone (no
 * source is resolved).
 */
export async function currentOnlineViews(featureStore: Pick<FeatureStore, 'listObjects' | 'getObject'>): Promise<OnlineViewRef[]> {
  const refs: OnlineViewRef[] = []
  for (const view of await featureStore.listObjects('feature_view')) {
    const stored = await featureStore.getObject('feature_view', view.name, view.currentVersion)
    if ((stored.spec as StoredFeatureView).online) refs.push({ view: view.name, version: view.currentVersion })
  }
  return refs
}

type ResolvedView = Awaited<ReturnType<MaterializeDeps['featureStore']['resolveFeatureView']>>

async function materializeView(deps: MaterializeDeps, resolved: ResolvedView, start: bigint | null, end: bigint): Promise<ViewMaterialization> {
  const { spec, engine, version } = resolved
  const startedAt = new Date().toISOString()
  const runId = newId('mat_')
  const batch = latestRowsQuery(spec, engine.from(resolved.relation), start, end)
  const gate = deps.gate ? await deps.gate({ view: spec.name, version, relation: { kind: 'query', sql: batch }, engine }) : undefined
  let rowsRead = 0
  let rowsWritten = 0
  if (!gate || gate.success) {
    const ref = { view: spec.name, version }
    const bulk = await writeInBulk(deps.store, ref, spec, engine, batch)
    if (bulk) {
      rowsRead = bulk.read
      rowsWritten = bulk.written
    } else {
      const rows = await readSource(engine, batch, spec.source.name)
      rowsRead = rows.length
      rowsWritten = (await deps.store.write([{ ref, records: toRecords(spec, rows, `source ${spec.source.name}`) }]))[0]!.written
    }
    await onlineRepo.advanceWatermark(deps.metadata.db, deps.featureStore.project, spec.name, version, formatMicros(end), new Date().toISOString())
  }
  const result: ViewMaterialization = {
    view: spec.name,
    version,
    runId,
    start: start === null ? null : formatMicros(start),
    end: formatMicros(end),
    rowsRead,
    rowsWritten,
    status: gate && !gate.success ? 'refused' : 'succeeded',
    ...(gate?.resultId ? { validationResultId: gate.resultId } : {}),
    ...(gate?.message ? { message: gate.message } : {}),
  }
  await onlineRepo.insertRun(deps.metadata.db, {
    id: runId, project: deps.featureStore.project, view: spec.name, version,
    start_ts: result.start, end_ts: result.end, status: result.status, rows_read: rowsRead, rows_written: rowsWritten,
    validation_result_id: gate?.resultId ?? null, message: gate?.message ?? null, started_at: startedAt, finished_at: new Date().toISOString(),
  })
  deps.log.info({ view: spec.name, version, rowsRead, rowsWritten, status: result.status }, 'materialized feature view')
  return result
}

/**
 * The batch a materialization writes: per entity, the latest source row in the window. Written
 * with DISTINCT ON (both engines have it) rather than `row_number() … = 1`, which DuckDB 1.4's
 * top-n-window optimizer fails on when the timestamp has a range filter.
 *
 * @example
 * select distinct on (src."driver_id") src."driver_id" as "driver_id", src."conv_rate" as "conv_rate", src."event_timestamp" as "event_timestamp"
 * from read_parquet($1) as src
 * where src."event_timestamp" >= cast($2 as timestamptz) and src."event_timestamp" <= cast($3 as timestamptz) and src."driver_id" is not null
 * order by src."driver_id", src."event_timestamp" desc
 */
export function latestRowsQuery(spec: StoredFeatureView, from: RawBuilder<unknown>, start: bigint | null, end: bigint): RawBuilder<unknown> {
  const sourceColumnOf = sourceColumnResolver(spec.source.field_mapping)
  const src = (column: string) => sql`src.${sql.id(column)}`
  const ts = src(spec.source.timestamp_field)
  const created = spec.source.created_timestamp_column
  // name → source column; a feature may be the timestamp column itself, so names are kept once
  const columns = new Map<string, string>([
    ...spec.join_keys.map((k): [string, string] => [k, sourceColumnOf(k)]),
    ...spec.schema.map((f): [string, string] => [f.name, sourceColumnOf(f.name)]),
  ])
  for (const c of [spec.source.timestamp_field, ...(created ? [created] : [])]) {
    if (columns.has(c) && columns.get(c) !== c) throw Errors.badInput(`feature view ${spec.name}`, `feature ${c} is named like the source's timestamp column ${c} but reads another column`)
    columns.set(c, c)
  }
  const keys = spec.join_keys.map((k) => src(sourceColumnOf(k)))
  const latestFirst = created ? [sql`${ts} desc`, sql`${src(created)} desc nulls last`] : [sql`${ts} desc`]
  const conditions = [
    ...(start !== null ? [sql`${ts} >= cast(${formatMicros(start)} as timestamptz)`] : []),
    sql`${ts} <= cast(${formatMicros(end)} as timestamptz)`,
    ...keys.map((k) => sql`${k} is not null`),
  ]
  const select = sql.join([...columns].map(([name, column]) => sql`${src(column)} as ${sql.id(name)}`))
  const where = sql.join(conditions, sql` and `)
  // A view without entities has one "entity": its latest row overall.
  return keys.length
    ? sql`select distinct on (${sql.join(keys)}) ${select} from ${from} as src where ${where} order by ${sql.join([...keys, ...latestFirst])}`
    : sql`select ${select} from ${from} as src where ${where} order by ${sql.join(latestFirst)} limit 1`
}

/**
 * Turns rows named as `latestRowsQuery` names them (join keys and features by name, the source's
 * timestamp and created columns) into online records. Rows with a null join key are skipped:
 * they match nothing. `where` names the input in errors.
 */
export function toRecords(spec: StoredFeatureView, rows: readonly Row[], where: string): OnlineRecord[] {
  const tsColumn = spec.source.timestamp_field
  const created = spec.source.created_timestamp_column
  const records: OnlineRecord[] = []
  rows.forEach((row, i) => {
    const key = encodeEntityKey(spec.join_keys.map((k) => row[k] ?? null))
    if (key === null) return
    const ts = row[tsColumn]
    if (typeof ts !== 'string') throw Errors.badInput(`${where}[${i}].${tsColumn}`, `expected an ISO-8601 event timestamp, got ${JSON.stringify(ts ?? null)}`)
    const createdTs = created ? row[created] ?? null : null
    if (createdTs !== null && typeof createdTs !== 'string') throw Errors.badInput(`${where}[${i}].${created}`, `expected an ISO-8601 timestamp or null, got ${JSON.stringify(createdTs)}`)
    records.push({
      key,
      values: spec.schema.map((f) => row[f.name] ?? null),
      eventTs: Number(parseTimestampMicros(ts, `${where}[${i}].${tsColumn}`)),
      createdTs: createdTs === null ? null : Number(parseTimestampMicros(createdTs, `${where}[${i}].${created}`)),
    })
  })
  return records
}

/**
 * The bulk path: a batch DuckDB computes is encoded by DuckDB (`encodeBatchInDuckDb`) and loaded
 * by the store from there, so the window is never held in JavaScript (through JavaScript rows,
 * bench:materialize wrote 20k entities × 5 views at ~31k rows/s on either engine). Undefined when the batch's
 * types or engines have no bulk path; the caller then reads the rows.
 */
async function writeInBulk(store: OnlineStore, ref: OnlineViewRef, spec: StoredFeatureView, engine: Engine, batch: RawBuilder<unknown>) {
  if (engine.kind !== 'duckdb') return undefined
  const columns = await engine.describe({ kind: 'query', sql: batch }).catch((e: unknown) => {
    if (isAsofError(e) && e.kind === 'bad_input') throw Errors.sourceUnreadable(spec.source.name, e.message)
    throw e
  })
  const encoded = encodeBatchInDuckDb(spec, batch, columns)
  return encoded ? store.writeBatch(ref, { engine, encoded }) : undefined
}

async function readSource(engine: Engine, query: RawBuilder<unknown>, source: string): Promise<Row[]> {
  try {
    return await engine.query(query)
  } catch (e) {
    if (isAsofError(e) && e.kind === 'bad_input') throw Errors.sourceUnreadable(source, e.message)
    throw e
  }
}
