import type { Kysely } from 'kysely'

/**
 * A generation per online view version, bumped by every write to its `online_values` rows in the
 * same transaction. Server-mode replicas cache online values per generation: a read that returns
 * the values and the generation from one snapshot knows which state of the view it saw. (Created on
 * DuckDB too, where one process owns the file and keeps its cache current itself, so the schema is
 * one for both engines.)
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('online_generations')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('view', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('online_generations_pk', ['project', 'view', 'version'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('online_generations').execute()
}
