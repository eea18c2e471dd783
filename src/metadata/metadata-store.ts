import { fileURLToPath } from 'node:url'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { FileMigrationProvider, Migrator, type Kysely } from 'kysely'
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

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url))

/** Brings the schema up to date (PostgreSQL: under kysely's advisory lock) and returns the store. */
export async function openMetadataStore(engine: Engine): Promise<MetadataStore> {
  const db = engine.db as Kysely<MetadataSchema>
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_DIR }),
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
