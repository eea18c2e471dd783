import type { Kysely } from 'kysely'

/**
 * Pipelines: runs keyed by (pipeline, logical_date) — the unique key is also how scheduler replicas
 * claim a tick exactly once — their task instances, and the scheduler's and sensors' memory.
 *
 * pipeline_task_runs has no primary key or index on purpose: its rows are updated on every state
 * change, and DuckDB's ART indexes on such a table came back inconsistent after a kill -9 and WAL
 * replay ("Failed to delete all rows from index"). (run_id, task_id, map_index) is unique by
 * construction: instances are inserted only by the worker holding the claim on the run or on the
 * mapped task, after checking which exist.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pipeline_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('logical_date', 'timestamptz', (c) => c.notNull())
    .addColumn('data_interval_start', 'timestamptz', (c) => c.notNull())
    .addColumn('data_interval_end', 'timestamptz', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('definition_hash', 'text', (c) => c.notNull())
    .addColumn('cache', 'boolean', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addUniqueConstraint('pipeline_runs_pipeline_date_uq', ['pipeline', 'logical_date'])
    .execute()
  await db.schema
    .createTable('pipeline_task_runs')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('map_index', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempt', 'bigint', (c) => c.notNull())
    .addColumn('cache_key', 'text')
    .addColumn('cached_from', 'text')
    .addColumn('output', 'text')
    .addColumn('error', 'text')
    .addColumn('claimed_by', 'text')
    .addColumn('started_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .execute()
  await db.schema
    .createTable('pipeline_schedule_state')
    .addColumn('pipeline', 'text', (c) => c.primaryKey())
    .addColumn('last_logical_date', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('pipeline_sensor_state')
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('sensor_key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('pipeline_sensor_state_pk', ['pipeline', 'sensor_key'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pipeline_sensor_state').execute()
  await db.schema.dropTable('pipeline_schedule_state').execute()
  await db.schema.dropTable('pipeline_task_runs').execute()
  await db.schema.dropTable('pipeline_runs').execute()
}
