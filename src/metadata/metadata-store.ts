import { Migrator, type Kysely } from 'kysely'
import { MIGRATIONS } from '../../migrations/index.js'
import { AsofError } from '../core/index.js'
import type { Engine, PostgresEngine } from '../engines/index.js'
import type { MetadataSchema } from './schema.js'

/**
 * The metadata store: registry, suites, results, metrics, runs, models, keys. One code path
 * for both storage modes: kysely over the DuckDB file (embedded) or PostgreSQL (server).
 */
export interface MetadataStore {
  readonly db: Kysely<MetadataSchema>
  readonly engine: Engine
  transaction<T>(fn: (tx: Kysely<MetadataSchema>) => Promise<T>): Promise<T>
}

/** Brings the schema up to date (PostgreSQL: under kysely's advisory lock) and returns the store. */
export async function openMetadataStore(engine: Engine): Promise<MetadataStore> {
  const db = engine.db as Kysely<MetadataSchema>
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'asof_migration',
    migrationLockTableName: 'asof_migration_lock',
    // kysely looks its own tables up by name across schemas; pin them to the engine's schema so
    // a database holding several asof schemas (tests, tenants) migrates each one on its own.
    migrationTableSchema: engine.kind === 'postgres' ? (engine as PostgresEngine).schema : undefined,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new AsofError('ASOF_MIGRATION_FAILED', 'internal', `metadata migration ${failed} failed: ${(error as Error).message}`, undefined, { cause: error })
  }
  return {
    db,
    engine,
    transaction: (fn) => db.transaction().execute(fn),
  }
}
