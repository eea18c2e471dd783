import type { Kysely, Selectable } from 'kysely'

/** Expectation suites, stored as GX 1.x JSON; every change is a new immutable version. */
export interface SuitesTables {
  expectation_suites: {
    name: string
    current_version: number
    created_at: string
    updated_at: string
  }
  expectation_suite_versions: {
    name: string
    version: number
    /** The suite as GX 1.x JSON. */
    suite: string
    suite_hash: string
    created_at: string
  }
}

export type SuiteRow = Selectable<SuitesTables['expectation_suites']>
export type SuiteVersionRow = Selectable<SuitesTables['expectation_suite_versions']>

type Db = Kysely<SuitesTables>

export function listSuites(db: Db): Promise<SuiteRow[]> {
  return db.selectFrom('expectation_suites').selectAll().orderBy('name').execute()
}

/** One version of a suite; the current one when `version` is omitted. */
export async function getSuiteVersion(db: Db, name: string, version?: number): Promise<SuiteVersionRow | undefined> {
  let v = version
  if (v === undefined) {
    const row = await db.selectFrom('expectation_suites').select('current_version').where('name', '=', name).executeTakeFirst()
    if (!row) return undefined
    v = Number(row.current_version)
  }
  return db.selectFrom('expectation_suite_versions').selectAll().where('name', '=', name).where('version', '=', v).executeTakeFirst()
}

export function listSuiteVersions(db: Db, name: string): Promise<SuiteVersionRow[]> {
  return db.selectFrom('expectation_suite_versions').selectAll().where('name', '=', name).orderBy('version').execute()
}

/**
 * Stores `suiteJson` as the next version of `name` (1 for a new suite) and makes it current. Saving
 * a suite identical to the current version (same hash) creates nothing and returns that version.
 * Call inside a transaction.
 */
export async function saveSuiteVersion(db: Db, name: string, suiteJson: string, suiteHash: string, now: string): Promise<{ version: number; created: boolean }> {
  const current = await getSuiteVersion(db, name)
  if (current && current.suite_hash === suiteHash) return { version: Number(current.version), created: false }
  const version = current ? Number(current.version) + 1 : 1
  await db.insertInto('expectation_suite_versions').values({ name, version, suite: suiteJson, suite_hash: suiteHash, created_at: now }).execute()
  if (current) {
    await db.updateTable('expectation_suites').set({ current_version: version, updated_at: now }).where('name', '=', name).execute()
  } else {
    await db.insertInto('expectation_suites').values({ name, current_version: version, created_at: now, updated_at: now }).execute()
  }
  return { version, created: true }
}

/** Deletes a suite and all its versions. Returns false when there was no such suite. */
export async function deleteSuite(db: Db, name: string): Promise<boolean> {
  const existed = await db.deleteFrom('expectation_suites').where('name', '=', name).executeTakeFirst()
  await db.deleteFrom('expectation_suite_versions').where('name', '=', name).execute()
  return Number(existed.numDeletedRows) > 0
}
