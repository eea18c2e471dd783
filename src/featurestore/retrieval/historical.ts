import { isAbsolute, resolve } from 'node:path'
import { sql, type Kysely } from 'kysely'
import { AsofError, Errors, isAsofError, newId } from '../../core/index.js'
import type { DuckDbEngine, Engine, EngineKind, Relation, ResultSet } from '../../engines/index.js'
import type { MetadataSchema } from '../../metadata/index.js'
import type { FeatureServiceDefinition } from '../definitions/feature-service.js'
import type { SourceDefinition } from '../definitions/source.js'
import type { StoredFeatureView } from '../definitions/feature-view.js'
import { getObjectVersion } from '../registry/versions.js'
import { prepareEntities, type EntitySource } from './entity-rows.js'
import { outputFormatOf, writeArrowFile, writeJsonFile } from './output-file.js'
import { asofKeys, isPackingRejected, renderPitDuckDb, unpackedKeys } from './pit-duckdb.js'
import { renderPitPostgres } from './pit-postgres.js'
import type { PitRenderer } from './pit-sql.js'
import { planRetrieval, requestedViews, type HistoricalRequest, type PlannedView, type ResolvedView, type RetrievalPlan } from './retrieval-plan.js'

/** A historical request together with its entity rows. */
export interface RetrievalRequest extends HistoricalRequest {
  readonly entities: EntitySource
}

/** What a retrieval read, for consumers that record lineage: the service version, and each view version with its features. */
export interface RetrievalRead {
  readonly featureService?: { readonly name: string; readonly version: number }
  readonly views: readonly {
    readonly view: string
    readonly version: number
    readonly features: readonly { readonly feature: string; readonly output: string; readonly dtype: string }[]
  }[]
}

/** What retrieval needs from the store around it. */
export interface RetrievalContext {
  readonly db: Kysely<MetadataSchema>
  readonly project: string
  readonly repoDir: string
  readonly duckdb: DuckDbEngine
  /** The engine that reads `kind: postgres` sources (opened on first use). */
  postgres(forSource: string): Promise<Engine>
}

/** What a view reads: its source, or its transformation of the source. */
function viewRelation(view: StoredFeatureView, repoDir: string): { engine: EngineKind; relation: Relation } {
  const read = sourceRelation(view.source, repoDir)
  if (!view.transformation) return read
  return { engine: read.engine, relation: { kind: 'user_sql', text: view.transformation.sql, inputs: { source: read.relation } } }
}

/** Which engine reads a source, and the relation it reads: files and DuckDB tables on DuckDB, Postgres sources pushed down. */
export function sourceRelation(source: SourceDefinition, repoDir: string): { engine: EngineKind; relation: Relation } {
  switch (source.kind) {
    case 'file': {
      const path = isAbsolute(source.path) ? source.path : resolve(repoDir, source.path)
      return { engine: 'duckdb', relation: { kind: 'file', path, format: source.path.toLowerCase().endsWith('.csv') ? 'csv' : 'parquet' } }
    }
    case 'duckdb':
    case 'postgres':
      return {
        engine: source.kind,
        relation: source.table !== undefined ? { kind: 'table', name: source.table } : { kind: 'user_sql', text: source.query! },
      }
  }
}

export async function engineFor(ctx: RetrievalContext, source: SourceDefinition, kind: EngineKind): Promise<Engine> {
  return kind === 'duckdb' ? ctx.duckdb : ctx.postgres(source.name)
}

/** A stored view version (current without `version`) with the relation it reads and the engine that reads it. */
export async function resolveStoredView(ctx: RetrievalContext, name: string, version?: number) {
  const stored = await getObjectVersion(ctx.db, ctx.project, 'feature_view', name, version)
  const { engine: engineKind, relation } = viewRelation(stored.spec, ctx.repoDir)
  const engine = await engineFor(ctx, stored.spec.source, engineKind)
  return { name, version: stored.version, spec: stored.spec, engine, engineKind, relation }
}

/** Runs a point-in-time retrieval and returns its columns and rows. */
export async function retrieveHistorical(ctx: RetrievalContext, request: RetrievalRequest): Promise<ResultSet> {
  return withRetrievalQuery(ctx, request, (engine, query) => engine.run(query))
}

/**
 * Runs a retrieval into a file whose extension names the format. On DuckDB, Parquet and CSV
 * are written by DuckDB's COPY without passing rows through JavaScript.
 */
export async function writeHistorical(ctx: RetrievalContext, request: RetrievalRequest, outputPath: string): Promise<{ rows: number; columns: string[]; read: RetrievalRead }> {
  const format = outputFormatOf(outputPath)
  return withRetrievalQuery(ctx, request, async (engine, query, plan, service) => {
    const read: RetrievalRead = {
      ...(service ? { featureService: service } : {}),
      views: plan.views.map((v) => ({ view: v.view, version: v.version, features: v.features.map(({ feature, output, dtype }) => ({ feature, output, dtype })) })),
    }
    if ((format === 'parquet' || format === 'csv') && engine.kind === 'duckdb') {
      const rows = await engine.query<{ Count: number | bigint }>(datasetCopy(query, outputPath, format))
      return { rows: Number(rows[0]?.Count ?? 0), columns: [...plan.outputColumns], read }
    }
    const result = await engine.run(query)
    if (format === 'json') writeJsonFile(outputPath, result)
    else if (format === 'arrow') writeArrowFile(outputPath, result)
    else await copyRowsWithDuckDb(ctx.duckdb, result, outputPath, format)
    return { rows: result.rows.length, columns: result.columns.map((c) => c.name), read }
  })
}

/** DuckDB's COPY of a dataset to Parquet, or to CSV with a header and ISO-8601 UTC timestamps. */
export function datasetCopy(query: ReturnType<PitRenderer>, path: string, format: 'parquet' | 'csv') {
  return format === 'parquet'
    ? sql`copy (${query}) to ${path} (format parquet)`
    : sql`copy (${query}) to ${path} (format csv, header true, timestampformat '%Y-%m-%dT%H:%M:%S.%fZ')`
}

/** Rows computed on PostgreSQL are written to Parquet/CSV through a scratch DuckDB table. */
async function copyRowsWithDuckDb(duckdb: DuckDbEngine, result: ResultSet, path: string, format: 'parquet' | 'csv'): Promise<void> {
  const table = `asof_output_${newId()}`
  await duckdb.createTable(table, result.columns)
  try {
    await duckdb.insertRows(table, result.columns, result.rows.map((r) => result.columns.map((c) => r[c.name] ?? null)))
    await duckdb.execute(datasetCopy(sql`select * from ${sql.id(table)}`, path, format))
  } finally {
    await duckdb.execute(sql`drop table if exists ${sql.id(table)}`)
  }
}

async function withRetrievalQuery<T>(
  ctx: RetrievalContext,
  request: RetrievalRequest,
  run: (engine: Engine, query: ReturnType<PitRenderer>, plan: RetrievalPlan, service?: { name: string; version: number }) => Promise<T>,
): Promise<T> {
  const storedService = request.featureService !== undefined
    ? await getObjectVersion(ctx.db, ctx.project, 'feature_service', request.featureService, request.featureServiceVersion)
    : undefined
  const service = storedService?.spec as FeatureServiceDefinition | undefined
  const views = new Map<string, ResolvedView & { engine: Engine; relation: Relation }>()
  for (const { view, version } of requestedViews(request, service)) {
    const key = viewKey(view, version)
    if (views.has(key)) continue
    const resolved = await resolveStoredView(ctx, view, version)
    views.set(key, { ...resolved, sourceColumns: await describeSource(resolved.engine, resolved.relation, resolved.spec.source.name) })
  }
  const engines = new Set([...views.values()].map((v) => v.engine))
  if (engines.size > 1) {
    throw Errors.badInput('features', 'the requested views read sources on different engines (DuckDB and PostgreSQL); retrieve them in separate requests')
  }
  const engine = [...engines][0] ?? ctx.duckdb
  const timestampColumn = request.timestampColumn ?? 'event_timestamp'
  const entities = await prepareEntities(request.entities, engine, ctx.duckdb, timestampColumn)
  try {
    const plan = planRetrieval(request, {
      view: (name, version) => views.get(viewKey(name, version))!,
      service: () => service!,
    }, entities.columns, entities.where)
    const resolved = new Map([...views.values()].map((r) => [`${r.name}@${r.version}`, r]))
    const sourceFrom = (v: PlannedView) => engine.from(resolved.get(`${v.view}@${v.version}`)!.relation)
    const target = { sourceFrom, cast: engine.cast.bind(engine), sqlType: engine.sqlType.bind(engine) }
    const read = storedService && { name: storedService.name, version: storedService.version }
    if (engine.kind !== 'duckdb') return await run(engine, renderPitPostgres(plan, entities.input, target), plan, read)
    const keys = await asofKeys(engine, plan, sourceFrom)
    try {
      return await run(engine, renderPitDuckDb(plan, entities.input, target, keys), plan, read)
    } catch (e) {
      if (!isPackingRejected(e)) throw e
      return await run(engine, renderPitDuckDb(plan, entities.input, target, unpackedKeys(keys)), plan, read)
    }
  } finally {
    await entities.release()
  }
}

function viewKey(view: string, version?: number): string {
  return `${view}@${version ?? 'current'}`
}

async function describeSource(engine: Engine, relation: Relation, name: string) {
  try {
    return await engine.describe(relation)
  } catch (e) {
    if (isAsofError(e) && e.kind !== 'bad_input' && e.kind !== 'internal') throw e
    throw new AsofError(Errors.sourceUnreadable.code, 'bad_input', Errors.sourceUnreadable(name, (e as Error).message).message, undefined, { cause: e })
  }
}
