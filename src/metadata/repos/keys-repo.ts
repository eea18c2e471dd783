import type { Kysely, Selectable } from 'kysely'

/**
 * Scopes, weakest first: each one includes the ones before it. `sql` adds running one's own SQL
 * (query batches, SQL checks, entity queries) to what `write` may do.
 */
export const KEY_SCOPES = ['read', 'write', 'sql', 'admin'] as const
export type KeyScope = (typeof KEY_SCOPES)[number]

export interface KeysTables {
  api_keys: {
    id: string
    name: string
    scope: KeyScope
    /** sha256 (hex) of the secret; the secret itself is never stored. */
    secret_hash: string
    created_at: string
    revoked_at: string | null
  }
}

export type ApiKeyRow = Selectable<KeysTables['api_keys']>

type Db = Kysely<KeysTables>

export async function insertKey(db: Db, key: Omit<ApiKeyRow, 'revoked_at'>): Promise<void> {
  await db.insertInto('api_keys').values({ ...key, revoked_at: null }).execute()
}

/** Every key, revoked ones included, oldest first. */
export function listKeys(db: Db): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute()
}

/** The active (not revoked) key with this secret hash. */
export function findActiveKey(db: Db, secretHash: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll()
    .where('secret_hash', '=', secretHash).where('revoked_at', 'is', null)
    .executeTakeFirst()
}

export async function countActiveKeys(db: Db): Promise<number> {
  const row = await db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number | bigint | string>().as('n'))
    .where('revoked_at', 'is', null).executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Marks a key revoked; returns false when no active key has this id. */
export async function revokeKey(db: Db, id: string, now: string): Promise<boolean> {
  const result = await db.updateTable('api_keys').set({ revoked_at: now })
    .where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}
