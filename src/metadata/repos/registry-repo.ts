import type { Kysely, Selectable } from 'kysely'

export type RegistryKind = 'entity' | 'source' | 'feature_view' | 'feature_service'

export interface RegistryTables {
  registry_objects: {
    project: string
    kind: RegistryKind
    name: string
    current_version: number
    spec_hash: string
    created_at: string
    updated_at: string
  }
  registry_versions: {
    project: string
    kind: RegistryKind
    name: string
    version: number
    /** The object's normalized definition, as JSON. */
    spec: string
    spec_hash: string
    created_at: string
  }
}

export type RegistryObjectRow = Selectable<RegistryTables['registry_objects']>
export type RegistryVersionRow = Selectable<RegistryTables['registry_versions']>

type Db = Kysely<RegistryTables>

export function listObjects(db: Db, project: string, kind?: RegistryKind): Promise<RegistryObjectRow[]> {
  let q = db.selectFrom('registry_objects').selectAll().where('project', '=', project)
  if (kind) q = q.where('kind', '=', kind)
  return q.orderBy('kind').orderBy('name').execute()
}

/** One version of an object; the current one when `version` is omitted. */
export async function getVersion(db: Db, project: string, kind: RegistryKind, name: string, version?: number): Promise<RegistryVersionRow | undefined> {
  let v = version
  if (v === undefined) {
    const obj = await db.selectFrom('registry_objects').select('current_version')
      .where('project', '=', project).where('kind', '=', kind).where('name', '=', name).executeTakeFirst()
    if (!obj) return undefined
    v = Number(obj.current_version)
  }
  return db.selectFrom('registry_versions').selectAll()
    .where('project', '=', project).where('kind', '=', kind).where('name', '=', name).where('version', '=', v)
    .executeTakeFirst()
}

export function listVersions(db: Db, project: string, kind: RegistryKind, name: string): Promise<RegistryVersionRow[]> {
  return db.selectFrom('registry_versions').selectAll()
    .where('project', '=', project).where('kind', '=', kind).where('name', '=', name)
    .orderBy('version').execute()
}

/** The highest version ever recorded for an object (0 if none), whether or not it is still in the registry. */
export async function latestVersion(db: Db, project: string, kind: RegistryKind, name: string): Promise<number> {
  const row = await db.selectFrom('registry_versions').select((eb) => eb.fn.max('version').as('v'))
    .where('project', '=', project).where('kind', '=', kind).where('name', '=', name).executeTakeFirst()
  return Number(row?.v ?? 0)
}

/**
 * Records a new version of an object (the highest recorded + 1, so a deleted and re-created name
 * never reuses a version) and makes it current. Call inside a transaction so a plan is applied
 * whole or not at all.
 */
export async function insertVersion(db: Db, project: string, kind: RegistryKind, name: string, spec: unknown, specHash: string, now: string): Promise<number> {
  const version = (await latestVersion(db, project, kind, name)) + 1
  await db.insertInto('registry_versions')
    .values({ project, kind, name, version, spec: JSON.stringify(spec), spec_hash: specHash, created_at: now })
    .execute()
  const current = await db.selectFrom('registry_objects').select('name')
    .where('project', '=', project).where('kind', '=', kind).where('name', '=', name).executeTakeFirst()
  if (current) {
    await db.updateTable('registry_objects').set({ current_version: version, spec_hash: specHash, updated_at: now })
      .where('project', '=', project).where('kind', '=', kind).where('name', '=', name).execute()
  } else {
    await db.insertInto('registry_objects')
      .values({ project, kind, name, current_version: version, spec_hash: specHash, created_at: now, updated_at: now })
      .execute()
  }
  return version
}

/**
 * Replaces the current version's spec where only its annotations (description, owner, tags)
 * changed: the data it describes is the same, so no new version.
 */
export async function updateCurrentSpec(db: Db, project: string, kind: RegistryKind, name: string, version: number, spec: unknown, specHash: string, now: string): Promise<void> {
  await db.updateTable('registry_versions').set({ spec: JSON.stringify(spec), spec_hash: specHash })
    .where('project', '=', project).where('kind', '=', kind).where('name', '=', name).where('version', '=', version).execute()
  await db.updateTable('registry_objects').set({ spec_hash: specHash, updated_at: now })
    .where('project', '=', project).where('kind', '=', kind).where('name', '=', name).execute()
}

/** Removes an object from the current registry; its versions stay readable by number. */
export async function deleteObject(db: Db, project: string, kind: RegistryKind, name: string): Promise<void> {
  await db.deleteFrom('registry_objects').where('project', '=', project).where('kind', '=', kind).where('name', '=', name).execute()
}
