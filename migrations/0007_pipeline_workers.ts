import type { Kysely } from 'kysely'

/**
 * pipeline_task_runs gets its primary key (run_id, task_id, map_index), and a run records the
 * worker executing it and that worker's last heartbeat, so a run whose process died shows as such.
 *
 * 0004 left the task table without keys because DuckDB's ART indexes came back inconsistent after a
 * kill -9 and WAL replay. That table also had an index on (cache_key, ended_at), columns every state
 * change updates (an UPDATE of an indexed column is a delete plus an insert in the index). The key
 * here is on columns that are written once; kill -9 at random points of the runner's write pattern
 * (replace run, claim, retry, finish, release), then reopening and writing again, left the file
 * readable in every trial (DuckDB 1.5).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('pipeline_task_runs')
    .addPrimaryKeyConstraint('pipeline_task_runs_pk', ['run_id', 'task_id', 'map_index'])
    .execute()
  await db.schema.alterTable('pipeline_runs').addColumn('worker', 'text').execute()
  await db.schema.alterTable('pipeline_runs').addColumn('heartbeat_at', 'timestamptz').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('pipeline_runs').dropColumn('heartbeat_at').execute()
  await db.schema.alterTable('pipeline_runs').dropColumn('worker').execute()
  await db.schema.alterTable('pipeline_task_runs').dropConstraint('pipeline_task_runs_pk').execute()
}
