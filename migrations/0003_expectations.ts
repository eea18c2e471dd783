import type { Kysely } from 'kysely'

/**
 * Expectations: suites (GX 1.x JSON, immutable versions), validation results, and the history of
 * every metric a validation computed (queryable by batch, metric and time).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('expectation_suites')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('current_version', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('expectation_suite_versions')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('suite', 'text', (c) => c.notNull())
    .addColumn('suite_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('expectation_suite_versions_pk', ['name', 'version'])
    .execute()
  await db.schema
    .createTable('validation_results')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('checkpoint', 'text')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('suite_name', 'text', (c) => c.notNull())
    .addColumn('suite_version', 'bigint')
    .addColumn('batch', 'text', (c) => c.notNull())
    .addColumn('success', 'boolean', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('run_time', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('validation_results_checkpoint_idx').on('validation_results').columns(['checkpoint', 'run_time']).execute()
  await db.schema.createIndex('validation_results_batch_idx').on('validation_results').columns(['batch', 'run_time']).execute()
  await db.schema
    .createTable('validation_metrics')
    .addColumn('result_id', 'text', (c) => c.notNull())
    .addColumn('checkpoint', 'text')
    .addColumn('batch', 'text', (c) => c.notNull())
    .addColumn('suite_name', 'text', (c) => c.notNull())
    .addColumn('suite_version', 'bigint')
    .addColumn('metric_name', 'text', (c) => c.notNull())
    .addColumn('metric_args', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('value_json', 'text', (c) => c.notNull())
    .addColumn('run_time', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('validation_metrics_lookup_idx').on('validation_metrics').columns(['batch', 'metric_name', 'run_time']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('validation_metrics').execute()
  await db.schema.dropTable('validation_results').execute()
  await db.schema.dropTable('expectation_suite_versions').execute()
  await db.schema.dropTable('expectation_suites').execute()
}
