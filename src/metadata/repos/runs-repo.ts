import type { Kysely, Selectable } from 'kysely'

export const RUN_STATES = ['queued', 'running', 'success', 'failed'] as const
export type RunState = (typeof RUN_STATES)[number]
export type RunTrigger = 'manual' | 'schedule' | 'backfill' | 'sensor'

/**
 * A task instance's states, as in Airflow. `pending` may be claimed; `running` is owned by the
 * worker in `claimed_by`; the rest are final. A cache hit is `success` with `cached_from` set.
 */
export const TASK_STATES = ['pending', 'running', 'success', 'failed', 'skipped', 'upstream_failed'] as const
export type TaskState = (typeof TASK_STATES)[number]
export const FINAL_TASK_STATES: readonly TaskState[] = ['success', 'failed', 'skipped', 'upstream_failed']

export interface RunsTables {
  pipeline_runs: {
    id: string
    pipeline: string
    logical_date: string
    data_interval_start: string
    data_interval_end: string
    state: RunState
    trigger: RunTrigger
    /** The run's parameters, as JSON. */
    params: string
    /** The pipeline definition the run executes (JSON), so a resume runs what was started. */
    definition: string
    definition_hash: string
    /** False when caching was switched off for the whole run. */
    cache: boolean
    /** Why a run failed, in one line. */
    note: string | null
    created_at: string
    started_at: string | null
    ended_at: string | null
    /** The process executing the run (`host:pid`), while it runs. */
    worker: string | null
    /** That worker's last sign of life. */
    heartbeat_at: string | null
  }
  pipeline_task_runs: {
    run_id: string
    task_id: string
    /** -1 for an unmapped task (and for a mapped task's summary row); 0… for mapped instances. */
    map_index: number
    state: TaskState
    /** Tries started so far. */
    attempt: number
    cache_key: string | null
    /** The run whose outputs this cache hit reused. */
    cached_from: string | null
    /** The task's JSON output. */
    output: string | null
    error: string | null
    claimed_by: string | null
    started_at: string | null
    ended_at: string | null
  }
}

export type RunRow = Selectable<RunsTables['pipeline_runs']>
export type TaskRunRow = Selectable<RunsTables['pipeline_task_runs']>
export interface TaskKey { run_id: string; task_id: string; map_index: number }

type Db = Kysely<RunsTables>

/**
 * Inserts a run unless (pipeline, logical_date) already has one; returns whether this call
 * inserted it. The unique key is the claim: of several schedulers firing the same tick, one wins.
 */
export async function claimRun(db: Db, run: RunRow): Promise<boolean> {
  const inserted = await db.insertInto('pipeline_runs').values(run)
    .onConflict((oc) => oc.columns(['pipeline', 'logical_date']).doNothing())
    .returning('id').executeTakeFirst()
  return inserted !== undefined
}

/**
 * Inserts a run, replacing (with its task instances) any earlier run of the same logical date.
 * `check` sees that earlier run first and may refuse by throwing. Call in a transaction.
 */
export async function replaceRun(db: Db, run: RunRow, check?: (earlier: RunRow) => void): Promise<string | undefined> {
  const old = await findRun(db, run.pipeline, run.logical_date)
  if (old) {
    check?.(old)
    await db.deleteFrom('pipeline_task_runs').where('run_id', '=', old.id).execute()
    await db.deleteFrom('pipeline_runs').where('id', '=', old.id).execute()
  }
  await db.insertInto('pipeline_runs').values(run).execute()
  return old?.id
}

export function getRun(db: Db, id: string): Promise<RunRow | undefined> {
  return db.selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findRun(db: Db, pipeline: string, logicalDate: string): Promise<RunRow | undefined> {
  return db.selectFrom('pipeline_runs').selectAll()
    .where('pipeline', '=', pipeline).where('logical_date', '=', logicalDate).executeTakeFirst()
}

/** Runs, newest logical date first. */
export function listRuns(db: Db, filter: { pipeline?: string; limit?: number } = {}): Promise<RunRow[]> {
  let q = db.selectFrom('pipeline_runs').selectAll()
  if (filter.pipeline !== undefined) q = q.where('pipeline', '=', filter.pipeline)
  q = q.orderBy('logical_date', 'desc').orderBy('created_at', 'desc')
  if (filter.limit !== undefined) q = q.limit(filter.limit)
  return q.execute()
}

/** Runs claimed but never started (their scheduler stopped before executing them), oldest first. */
export function listQueuedRuns(db: Db): Promise<RunRow[]> {
  return db.selectFrom('pipeline_runs').selectAll().where('state', '=', 'queued').orderBy('logical_date').execute()
}

/** Moves a queued run to running; false when another worker started it first. */
export async function startQueuedRun(db: Db, id: string, now: string): Promise<boolean> {
  const r = await db.updateTable('pipeline_runs').set({ state: 'running', started_at: now })
    .where('id', '=', id).where('state', '=', 'queued').executeTakeFirst()
  return Number(r.numUpdatedRows) === 1
}

/**
 * Records that `worker` is still executing the run; false when the run is no longer running, or
 * was marked lost (heartbeat cleared, e.g. by a server stopping under it): that stays lost.
 */
export async function heartbeat(db: Db, id: string, worker: string, now: string): Promise<boolean> {
  const r = await db.updateTable('pipeline_runs').set({ worker, heartbeat_at: now })
    .where('id', '=', id).where('state', '=', 'running').where('heartbeat_at', 'is not', null).executeTakeFirst()
  return Number(r.numUpdatedRows) === 1
}

export async function updateRun(db: Db, id: string, patch: Partial<Pick<RunRow, 'state' | 'note' | 'started_at' | 'ended_at' | 'worker' | 'heartbeat_at'>>): Promise<void> {
  await db.updateTable('pipeline_runs').set(patch).where('id', '=', id).execute()
}

/** Adds the task instances that do not exist yet (expanding a mapped task again after a crash is harmless). */
export async function insertTaskRuns(db: Db, rows: readonly TaskRunRow[]): Promise<void> {
  if (rows.length === 0) return
  await db.insertInto('pipeline_task_runs').values(rows)
    .onConflict((oc) => oc.columns(['run_id', 'task_id', 'map_index']).doNothing())
    .execute()
}

export function listTaskRuns(db: Db, runId: string): Promise<TaskRunRow[]> {
  return db.selectFrom('pipeline_task_runs').selectAll().where('run_id', '=', runId)
    .orderBy('task_id').orderBy('map_index').execute()
}

/**
 * Takes a pending task instance for `worker`, counting a new try; false when another worker took
 * it first. The state check in the UPDATE makes the claim atomic on both engines. With
 * `skipLocked` (PostgreSQL), the row is first locked `for update skip locked` in a transaction,
 * so a worker racing for a row another worker is claiming moves on at once instead of waiting.
 */
export async function claimTask(db: Db, key: TaskKey, worker: string, now: string, options: { skipLocked?: boolean } = {}): Promise<boolean> {
  const claim = async (tx: Db) => {
    const r = await tx.updateTable('pipeline_task_runs')
      .set((eb) => ({ state: 'running', claimed_by: worker, started_at: now, attempt: eb('attempt', '+', 1) }))
      .where('run_id', '=', key.run_id).where('task_id', '=', key.task_id).where('map_index', '=', key.map_index)
      .where('state', '=', 'pending')
      .executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }
  if (!options.skipLocked) return claim(db)
  return db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('pipeline_task_runs').select('run_id')
      .where('run_id', '=', key.run_id).where('task_id', '=', key.task_id).where('map_index', '=', key.map_index)
      .where('state', '=', 'pending')
      .forUpdate().skipLocked().executeTakeFirst()
    return row ? claim(tx) : false
  })
}

/** Records a state change of one task instance. */
export async function updateTaskRun(db: Db, key: TaskKey, patch: Partial<Omit<TaskRunRow, keyof TaskKey>>): Promise<void> {
  await db.updateTable('pipeline_task_runs').set(patch)
    .where('run_id', '=', key.run_id).where('task_id', '=', key.task_id).where('map_index', '=', key.map_index)
    .execute()
}

/**
 * Hands instances a dead worker left `running` back to `pending` (on `resume`). Finished
 * instances are left alone: they are never done twice.
 */
export async function releaseRunningTasks(db: Db, runId: string): Promise<number> {
  const r = await db.updateTable('pipeline_task_runs').set({ state: 'pending', claimed_by: null })
    .where('run_id', '=', runId).where('state', '=', 'running').executeTakeFirst()
  return Number(r.numUpdatedRows)
}

/**
 * The newest successful execution (not itself a cache hit) with this cache key that ended at or
 * after `notBefore` (ISO-8601; undefined: any age).
 */
export function findCachedTaskRun(db: Db, cacheKey: string, notBefore?: string): Promise<TaskRunRow | undefined> {
  let q = db.selectFrom('pipeline_task_runs').selectAll()
    .where('cache_key', '=', cacheKey).where('state', '=', 'success').where('cached_from', 'is', null)
  if (notBefore !== undefined) q = q.where('ended_at', '>=', notBefore)
  return q.orderBy('ended_at', 'desc').limit(1).executeTakeFirst()
}
