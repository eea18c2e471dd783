import { Migrator, sql, type DatabaseIntrospector, type Kysely } from 'kysely'
import { MIGRATIONS } from '../../migrations/index.js'
import { Errors, causedBy } from '../core/index.js'
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

/** The newest migration's name: kysely applies them in name order, and records each with its changes. */
const LATEST = Object.keys(MIGRATIONS).sort().at(-1)!

/**
 * Brings the schema up to date (PostgreSQL: under kysely's advisory lock) and returns the store.
 * A schema whose newest applied migration is the latest is up to date: one row read instead of the
 * migrator's introspection, lock table and lock (most of a short command's time after loading).
 */
export async function openMetadataStore(engine: Engine): Promise<MetadataStore> {
  const db = engine.db as Kysely<MetadataSchema>
  const schema = engine.kind === 'postgres' ? (engine as PostgresEngine).schema : undefined
  if ((await newestApplied(db, schema)) !== LATEST) await migrate(db, schema)
  return {
    db,
    engine,
    transaction: (fn) => db.transaction().execute(fn),
  }
}

/**
 * The newest migration recorded in the schema, or undefined when nothing is (a new database has no
 * table yet, and any other failure is left to the migrator to report). A database migrated by a newer
 * asof answers a name past LATEST, and the migrator refuses it as before.
 */
async function newestApplied(db: Kysely<MetadataSchema>, schema: string | undefined): Promise<string | undefined> {
  const table = schema ? sql.id(schema, 'asof_migration') : sql.id('asof_migration')
  try {
    const { rows } = await sql<{ name: string }>`select name from ${table} order by name desc limit 1`.execute(db)
    return rows[0]?.name
  } catch {
    return undefined
  }
}

async function migrate(db: Kysely<MetadataSchema>, schema: string | undefined): Promise<void> {
  const migrator = new Migrator({
    db: schema ? introspectingOnly(db, schema) : db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'asof_migration',
    migrationLockTableName: 'asof_migration_lock',
    // kysely looks its own tables up by name across schemas; pin them to the engine's schema so
    // a database holding several asof schemas (tests, tenants) migrates each one on its own.
    migrationTableSchema: schema,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw causedBy(Errors.migrationFailed(String(failed), (error as Error).message), error)
  }
}

/**
 * `db` for kysely's migrator, whose introspection sees `schema` only. The migrator finds its own
 * tables by introspecting every schema of the database, calling functions on each schema's name
 * along the way; a schema that another process drops meanwhile (a test suite's, a tenant's)
 * fails that scan with "schema … does not exist", though this one is untouched.
 */
function introspectingOnly(db: Kysely<MetadataSchema>, schema: string): Kysely<MetadataSchema> {
  const getTables: DatabaseIntrospector['getTables'] = async () => {
    const { rows } = await sql<{ name: string; kind: string }>`
      select c.relname as name, c.relkind as kind from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'm')`.execute(db)
    return rows.map((r) => ({ name: r.name, schema, isView: r.kind === 'v' || r.kind === 'm', columns: [] }))
  }
  const introspection: DatabaseIntrospector = {
    getSchemas: async () => (await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db)).rows,
    getTables,
    getMetadata: async (options) => ({ tables: await getTables(options) }),
  }
  // Every other member is the real one, bound to it (kysely keeps its state in private fields).
  return new Proxy(db, {
    get: (target, property) => {
      if (property === 'introspection') return introspection
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
