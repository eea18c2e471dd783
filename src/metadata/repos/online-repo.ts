import type { Kysely, Selectable } from 'kysely'

/**
 * The online store's tables: latest values per (view version, entity key), the generation of
 * each view version's values (server mode), the incremental materialization watermark per view
 * version, and one row per materialization run.
 */
export interface OnlineTables {
  online_values: {
    project: string
    view: string
    version: number
    /** The entity key, encoded so that values compare by value and type (see featurestore/online/keys). */
    entity_key: string
    /** The view version's features in schema order, as a JSON array. */
    feature_values: string
    /** Epoch microseconds. */
    event_ts_us: number | bigint
    created_ts_us: number | bigint | null
    written_at: string
  }
  /** Server mode: bumped by every write to a view version's online_values, in the same transaction. */
  online_generations: {
    project: string
    view: string
    version: number
    generation: number | bigint
  }
  online_watermarks: {
    project: string
    view: string
    version: number
    /** Everything up to and including this instant has been materialized. */
    watermark: string
    updated_at: string
  }
  materialization_runs: {
    id: string
    project: string
    view: string
    version: number
    /** Null for an incremental run that started from the beginning of time. */
    start_ts: string | null
    end_ts: string
    status: MaterializationStatus
    rows_read: number
    rows_written: number
    /** The gate's validation result, when a gate ran. */
    validation_result_id: string | null
    message: string | null
    started_at: string
    finished_at: string
  }
}

/** `succeeded`: rows written; `refused`: the gate failed the batch and nothing was written. */
export type MaterializationStatus = 'succeeded' | 'refused'

export type WatermarkRow = Selectable<OnlineTables['online_watermarks']>
export type MaterializationRunRow = Selectable<OnlineTables['materialization_runs']>

type Db = Kysely<OnlineTables>

export async function getWatermark(db: Db, project: string, view: string, version: number): Promise<string | undefined> {
  const row = await db.selectFrom('online_watermarks').select('watermark')
    .where('project', '=', project).where('view', '=', view).where('version', '=', version)
    .executeTakeFirst()
  return row?.watermark
}

/** Moves the watermark forward to `watermark` (never backward). */
export async function advanceWatermark(db: Db, project: string, view: string, version: number, watermark: string, now: string): Promise<void> {
  await db.insertInto('online_watermarks')
    .values({ project, view, version, watermark, updated_at: now })
    .onConflict((oc) => oc.columns(['project', 'view', 'version']).doUpdateSet((eb) => ({
      watermark: eb.ref('excluded.watermark'),
      updated_at: eb.ref('excluded.updated_at'),
    })).where('online_watermarks.watermark', '<', (eb) => eb.ref('excluded.watermark')))
    .execute()
}

export async function insertRun(db: Db, run: MaterializationRunRow): Promise<void> {
  await db.insertInto('materialization_runs').values(run).execute()
}

/** Runs of one project (optionally one view), newest first. */
export function listRuns(db: Db, project: string, options: { view?: string; limit?: number } = {}): Promise<MaterializationRunRow[]> {
  let q = db.selectFrom('materialization_runs').selectAll().where('project', '=', project)
  if (options.view !== undefined) q = q.where('view', '=', options.view)
  q = q.orderBy('started_at', 'desc').orderBy('id', 'desc')
  if (options.limit !== undefined) q = q.limit(options.limit)
  return q.execute()
}
