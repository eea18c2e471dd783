import type { Kysely, Selectable } from 'kysely'

/**
 * The model registry tables (migrations/0006_models.ts). JSON documents (metrics, signature,
 * lineage, training metadata, webhook events) are stored as text; model-registry.ts in
 * pipelines/ owns their shapes.
 */
export interface ModelsTables {
  registered_models: {
    name: string
    description: string | null
    latest_version: number
    created_at: string
    updated_at: string
  }
  model_versions: {
    name: string
    version: number
    /** The pipeline run that produced the version; unique per model, so re-registering a run is a no-op. */
    run_id: string | null
    description: string | null
    /** Where the model's files are (a directory), and the content hash of those files. */
    artifact_uri: string
    artifact_hash: string
    metrics: string
    signature: string
    lineage: string
    training: string
    created_at: string
  }
  model_aliases: {
    name: string
    alias: string
    version: number
    updated_at: string
  }
  registered_model_tags: {
    name: string
    key: string
    value: string
  }
  model_version_tags: {
    name: string
    version: number
    key: string
    value: string
  }
  model_webhooks: {
    id: string
    url: string
    /** JSON array of event names. */
    events: string
    /** Null: registry-wide. */
    model_name: string | null
    /** HMAC key for the signature header; null: unsigned. */
    secret: string | null
    created_at: string
  }
}

export type RegisteredModelRow = Selectable<ModelsTables['registered_models']>
export type ModelVersionRow = Selectable<ModelsTables['model_versions']>
export type ModelAliasRow = Selectable<ModelsTables['model_aliases']>
export type ModelWebhookRow = Selectable<ModelsTables['model_webhooks']>

type Db = Kysely<ModelsTables>

export function getRegisteredModel(db: Db, name: string): Promise<RegisteredModelRow | undefined> {
  return db.selectFrom('registered_models').selectAll().where('name', '=', name).executeTakeFirst()
}

export function listRegisteredModels(db: Db): Promise<RegisteredModelRow[]> {
  return db.selectFrom('registered_models').selectAll().orderBy('name').execute()
}

export async function insertRegisteredModel(db: Db, row: RegisteredModelRow): Promise<void> {
  await db.insertInto('registered_models').values(row).execute()
}

export async function setLatestVersion(db: Db, name: string, version: number, now: string): Promise<void> {
  await db.updateTable('registered_models').set({ latest_version: version, updated_at: now }).where('name', '=', name).execute()
}

export async function insertModelVersion(db: Db, row: ModelVersionRow): Promise<void> {
  await db.insertInto('model_versions').values(row).execute()
}

export function getModelVersion(db: Db, name: string, version: number): Promise<ModelVersionRow | undefined> {
  return db.selectFrom('model_versions').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst()
}

export function findVersionByRun(db: Db, name: string, runId: string): Promise<ModelVersionRow | undefined> {
  return db.selectFrom('model_versions').selectAll().where('name', '=', name).where('run_id', '=', runId).executeTakeFirst()
}

export interface VersionFilter {
  name?: string
  /** Only versions an alias points at (this alias). */
  alias?: string
  /** Every key must be set on the version to exactly this value. */
  tags?: Record<string, string>
  /** Created at or after / before (ISO-8601 UTC). */
  since?: string
  until?: string
  limit?: number
}

/** Versions matching every given filter, newest first. */
export function searchVersions(db: Db, filter: VersionFilter = {}): Promise<ModelVersionRow[]> {
  let q = db.selectFrom('model_versions as v').selectAll('v')
  if (filter.name !== undefined) q = q.where('v.name', '=', filter.name)
  if (filter.alias !== undefined) {
    const alias = filter.alias
    q = q.where(({ exists, selectFrom }) => exists(selectFrom('model_aliases as a').select('a.alias')
      .whereRef('a.name', '=', 'v.name').whereRef('a.version', '=', 'v.version').where('a.alias', '=', alias)))
  }
  for (const [key, value] of Object.entries(filter.tags ?? {})) {
    q = q.where(({ exists, selectFrom }) => exists(selectFrom('model_version_tags as t').select('t.key')
      .whereRef('t.name', '=', 'v.name').whereRef('t.version', '=', 'v.version').where('t.key', '=', key).where('t.value', '=', value)))
  }
  if (filter.since !== undefined) q = q.where('v.created_at', '>=', filter.since)
  if (filter.until !== undefined) q = q.where('v.created_at', '<', filter.until)
  q = q.orderBy('v.created_at', 'desc').orderBy('v.name').orderBy('v.version', 'desc')
  if (filter.limit !== undefined) q = q.limit(filter.limit)
  return q.execute()
}

export function listAliases(db: Db, name: string): Promise<ModelAliasRow[]> {
  return db.selectFrom('model_aliases').selectAll().where('name', '=', name).orderBy('alias').execute()
}

export function getAlias(db: Db, name: string, alias: string): Promise<ModelAliasRow | undefined> {
  return db.selectFrom('model_aliases').selectAll().where('name', '=', name).where('alias', '=', alias).executeTakeFirst()
}

/** Points `alias` at `version` (moving it if it pointed elsewhere). Call inside a transaction. */
export async function setAlias(db: Db, name: string, alias: string, version: number, now: string): Promise<void> {
  await db.deleteFrom('model_aliases').where('name', '=', name).where('alias', '=', alias).execute()
  await db.insertInto('model_aliases').values({ name, alias, version, updated_at: now }).execute()
}

/** Returns false when the alias did not exist. */
export async function deleteAlias(db: Db, name: string, alias: string): Promise<boolean> {
  const r = await db.deleteFrom('model_aliases').where('name', '=', name).where('alias', '=', alias).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}

export function listModelTags(db: Db, name: string): Promise<{ key: string; value: string }[]> {
  return db.selectFrom('registered_model_tags').select(['key', 'value']).where('name', '=', name).orderBy('key').execute()
}

export function listVersionTags(db: Db, name: string, version: number): Promise<{ key: string; value: string }[]> {
  return db.selectFrom('model_version_tags').select(['key', 'value'])
    .where('name', '=', name).where('version', '=', version).orderBy('key').execute()
}

/** Sets a tag on a model (version undefined) or on one version. Call inside a transaction. */
export async function setTag(db: Db, name: string, version: number | undefined, key: string, value: string): Promise<void> {
  if (version === undefined) {
    await db.deleteFrom('registered_model_tags').where('name', '=', name).where('key', '=', key).execute()
    await db.insertInto('registered_model_tags').values({ name, key, value }).execute()
  } else {
    await db.deleteFrom('model_version_tags').where('name', '=', name).where('version', '=', version).where('key', '=', key).execute()
    await db.insertInto('model_version_tags').values({ name, version, key, value }).execute()
  }
}

/** Returns false when the tag was not set. */
export async function deleteTag(db: Db, name: string, version: number | undefined, key: string): Promise<boolean> {
  const r = version === undefined
    ? await db.deleteFrom('registered_model_tags').where('name', '=', name).where('key', '=', key).executeTakeFirst()
    : await db.deleteFrom('model_version_tags').where('name', '=', name).where('version', '=', version).where('key', '=', key).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}

export async function insertWebhook(db: Db, row: ModelWebhookRow): Promise<void> {
  await db.insertInto('model_webhooks').values(row).execute()
}

export function listWebhooks(db: Db): Promise<ModelWebhookRow[]> {
  return db.selectFrom('model_webhooks').selectAll().orderBy('created_at').orderBy('id').execute()
}

/** Returns false when no webhook has this id. */
export async function deleteWebhook(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('model_webhooks').where('id', '=', id).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}
