import type { Kysely } from 'kysely'

/**
 * The online store and materialization bookkeeping. Online values live in the metadata database
 * (the DuckDB file when embedded, PostgreSQL in server mode): one row per (view version, entity key)
 * holding the latest feature values as JSON. Timestamps are epoch microseconds (bigint) so that
 * "newer wins" compares exactly on both engines.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('online_values')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('view', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('entity_key', 'text', (c) => c.notNull())
    .addColumn('feature_values', 'text', (c) => c.notNull())
    .addColumn('event_ts_us', 'bigint', (c) => c.notNull())
    .addColumn('created_ts_us', 'bigint')
    .addColumn('written_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('online_values_pk', ['project', 'view', 'version', 'entity_key'])
    .execute()
  await db.schema
    .createTable('online_watermarks')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('view', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('watermark', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('online_watermarks_pk', ['project', 'view', 'version'])
    .execute()
  await db.schema
    .createTable('materialization_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('view', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('start_ts', 'timestamptz')
    .addColumn('end_ts', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('rows_read', 'bigint', (c) => c.notNull())
    .addColumn('rows_written', 'bigint', (c) => c.notNull())
    .addColumn('validation_result_id', 'text')
    .addColumn('message', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('materialization_runs_view_idx').on('materialization_runs').columns(['project', 'view', 'started_at']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('materialization_runs').execute()
  await db.schema.dropTable('online_watermarks').execute()
  await db.schema.dropTable('online_values').execute()
}
