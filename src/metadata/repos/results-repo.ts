import type { Kysely, Selectable } from 'kysely'

/** Validation results in GX's validation-result shape, with what was validated and when. */
export interface ResultsTables {
  validation_results: {
    id: string
    /** The checkpoint that ran the validation; null for an ad-hoc `validate`. */
    checkpoint: string | null
    run_id: string
    suite_name: string
    /** The stored suite version validated; null for a suite that was not stored. */
    suite_version: number | null
    /** A stable description of the batch (`file:data/x.parquet`, `table:trips`, `feature_view:driver@2`). */
    batch: string
    success: boolean
    /** The GX validation result, as JSON. */
    result: string
    run_time: string
  }
}

export type ResultRow = Selectable<ResultsTables['validation_results']>

type Db = Kysely<ResultsTables>

export async function insertResult(db: Db, row: ResultRow): Promise<void> {
  await db.insertInto('validation_results').values(row).execute()
}

export function getResult(db: Db, id: string): Promise<ResultRow | undefined> {
  return db.selectFrom('validation_results').selectAll().where('id', '=', id).executeTakeFirst()
}

export interface ResultFilter {
  checkpoint?: string
  batch?: string
  suiteName?: string
  runId?: string
  /** Newest first; at most this many. */
  limit?: number
}

/** Results matching every given filter, newest first. */
export function listResults(db: Db, filter: ResultFilter = {}): Promise<ResultRow[]> {
  let q = db.selectFrom('validation_results').selectAll()
  if (filter.checkpoint !== undefined) q = q.where('checkpoint', '=', filter.checkpoint)
  if (filter.batch !== undefined) q = q.where('batch', '=', filter.batch)
  if (filter.suiteName !== undefined) q = q.where('suite_name', '=', filter.suiteName)
  if (filter.runId !== undefined) q = q.where('run_id', '=', filter.runId)
  q = q.orderBy('run_time', 'desc').orderBy('id', 'desc')
  if (filter.limit !== undefined) q = q.limit(filter.limit)
  return q.execute()
}
