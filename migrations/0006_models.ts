import type { Kysely } from 'kysely'

/**
 * The model registry, shaped like MLflow's: registered models with integer versions, mutable
 * aliases (champion, challenger) pointing at versions, tags on models and on versions, and
 * webhooks fired on new versions and alias moves. A version stores its metrics, signature,
 * lineage and training metadata as JSON text; (name, run_id) is unique so a pipeline run
 * registers at most one version of a model.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('registered_models')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('latest_version', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('model_versions')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('description', 'text')
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .addColumn('artifact_hash', 'text', (c) => c.notNull())
    .addColumn('metrics', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('lineage', 'text', (c) => c.notNull())
    .addColumn('training', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_versions_pk', ['name', 'version'])
    .addUniqueConstraint('model_versions_run_unique', ['name', 'run_id'])
    .execute()
  await db.schema.createIndex('model_versions_created_idx').on('model_versions').columns(['created_at']).execute()
  await db.schema
    .createTable('model_aliases')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_aliases_pk', ['name', 'alias'])
    .execute()
  await db.schema
    .createTable('registered_model_tags')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registered_model_tags_pk', ['name', 'key'])
    .execute()
  await db.schema
    .createTable('model_version_tags')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_version_tags_pk', ['name', 'version', 'key'])
    .execute()
  await db.schema
    .createTable('model_webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('model_name', 'text')
    .addColumn('secret', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['model_webhooks', 'model_version_tags', 'registered_model_tags', 'model_aliases', 'model_versions', 'registered_models']) {
    await db.schema.dropTable(t).execute()
  }
}
