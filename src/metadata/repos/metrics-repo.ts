import type { Kysely, Selectable } from 'kysely'

/** Every metric a validation computed, per run: the history that anomaly rules and interval checks read. */
export interface MetricsTables {
  validation_metrics: {
    result_id: string
    checkpoint: string | null
    batch: string
    suite_name: string
    suite_version: number | null
    /** The metric's name (`column.mean`, `table.row_count`). */
    metric_name: string
    /** The metric's arguments as canonical JSON (`{"column":"fare"}`), so equal args compare equal. */
    metric_args: string
    /** The value when it is a finite number, for SQL-side filtering; null otherwise. */
    value: number | null
    /** The value as JSON, whatever its type. */
    value_json: string
    run_time: string
  }
}

export type MetricRow = Selectable<MetricsTables['validation_metrics']>

type Db = Kysely<MetricsTables>

export async function insertMetrics(db: Db, rows: readonly MetricRow[]): Promise<void> {
  if (rows.length === 0) return
  await db.insertInto('validation_metrics').values([...rows]).execute()
}

export interface MetricHistoryQuery {
  metricName: string
  /** Canonical JSON of the metric's args; omitted: any args. */
  metricArgs?: string
  batch?: string
  checkpoint?: string
  /** Only values recorded strictly before this time (ISO-8601). */
  before?: string
  /** Only values recorded at or after this time (ISO-8601). */
  since?: string
  /** Newest first; at most this many. */
  limit?: number
}

/** A metric's recorded values matching every given filter, newest first. */
export function metricHistory(db: Db, query: MetricHistoryQuery): Promise<MetricRow[]> {
  let q = db.selectFrom('validation_metrics').selectAll().where('metric_name', '=', query.metricName)
  if (query.metricArgs !== undefined) q = q.where('metric_args', '=', query.metricArgs)
  if (query.batch !== undefined) q = q.where('batch', '=', query.batch)
  if (query.checkpoint !== undefined) q = q.where('checkpoint', '=', query.checkpoint)
  if (query.before !== undefined) q = q.where('run_time', '<', query.before)
  if (query.since !== undefined) q = q.where('run_time', '>=', query.since)
  q = q.orderBy('run_time', 'desc').orderBy('result_id', 'desc')
  if (query.limit !== undefined) q = q.limit(query.limit)
  return q.execute()
}

/** Every metric recorded by one validation result. */
export function metricsOfResult(db: Db, resultId: string): Promise<MetricRow[]> {
  return db.selectFrom('validation_metrics').selectAll().where('result_id', '=', resultId).orderBy('metric_name').execute()
}
