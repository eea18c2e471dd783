import type { Kysely } from 'kysely'

/** The feature registry: objects by (project, kind, name), each with immutable versions. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('registry_objects')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('current_version', 'bigint', (c) => c.notNull())
    .addColumn('spec_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_objects_pk', ['project', 'kind', 'name'])
    .execute()
  await db.schema
    .createTable('registry_versions')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('spec_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_versions_pk', ['project', 'kind', 'name', 'version'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('registry_versions').execute()
  await db.schema.dropTable('registry_objects').execute()
}
