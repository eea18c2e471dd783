import { randomBytes } from 'node:crypto'
import { Errors, newId, sha256 } from '../core/index.js'
import { KEY_SCOPES, keysRepo, type KeyScope, type MetadataStore } from '../metadata/index.js'

/** A key as listed: never its secret or hash. */
export interface ApiKeyInfo {
  id: string
  name: string
  scope: KeyScope
  created_at: string
  revoked_at: string | null
}

/** A key just created: the only time its secret is visible. */
export interface CreatedApiKey extends ApiKeyInfo {
  secret: string
}

const SECRET_PREFIX = 'asof_'

/** How long a replica trusts what it read about keys; revocation by another replica takes this long. */
const CACHE_MS = 5_000
/** Most secrets remembered as matching no active key. */
const MAX_UNKNOWN_SECRETS = 10_000

/**
 * API keys over the metadata store. Secrets are 32 random bytes; only their sha256 is stored.
 * Keys found are remembered briefly by the secret presented (in memory only, as the request
 * itself holds it): a metadata query per request would cost milliseconds and even the sha256
 * several microseconds, a tenth of a one-entity online lookup. This process's own creates and
 * revokes clear the cache at once.
 */
export class ApiKeys {
  private bySecret = new Map<string, { key: ApiKeyInfo; until: number }>()
  /**
   * Secrets presented that no active key has. None can become valid later (secrets are made
   * here, at random, and a revoked key stays revoked), so they are remembered without expiry:
   * a client repeating a wrong or revoked key would otherwise cost a metadata query (and a
   * sha256) per request. Bounded: cleared when full, so random secrets cannot grow it.
   */
  private readonly unknown = new Set<string>()
  private activeCount: { n: number; until: number } | undefined

  constructor(private readonly metadata: MetadataStore) {}

  async create(scope: KeyScope, name?: string): Promise<CreatedApiKey> {
    const secret = SECRET_PREFIX + randomBytes(32).toString('base64url')
    const row = { id: newId('key_'), name: name ?? `${scope} key`, scope, secret_hash: sha256(secret), created_at: new Date().toISOString() }
    await keysRepo.insertKey(this.metadata.db, row)
    this.clearCache()
    return { id: row.id, name: row.name, scope, created_at: row.created_at, revoked_at: null, secret }
  }

  async list(): Promise<ApiKeyInfo[]> {
    return (await keysRepo.listKeys(this.metadata.db)).map(info)
  }

  async revoke(id: string): Promise<void> {
    if (!(await keysRepo.revokeKey(this.metadata.db, id, new Date().toISOString()))) {
      const known = (await this.list()).filter((k) => !k.revoked_at).map((k) => k.id)
      throw Errors.notFound('active API key', id, known)
    }
    this.clearCache()
  }

  /** Whether any key is active: with none, a localhost embedded server may run open. */
  async anyActive(): Promise<boolean> {
    const now = Date.now()
    if (!this.activeCount || this.activeCount.until < now) {
      this.activeCount = { n: await keysRepo.countActiveKeys(this.metadata.db), until: now + CACHE_MS }
    }
    return this.activeCount.n > 0
  }

  /** The active key with this secret if this process found it less than CACHE_MS ago, without waiting. */
  cached(secret: string): ApiKeyInfo | undefined {
    const cached = this.bySecret.get(secret)
    return cached && cached.until >= Date.now() ? cached.key : undefined
  }

  /** The active key with this secret, if any. */
  async authenticate(secret: string): Promise<ApiKeyInfo | undefined> {
    const known = this.cached(secret)
    if (known) return known
    if (this.unknown.has(secret)) return undefined
    const row = await keysRepo.findActiveKey(this.metadata.db, sha256(secret))
    if (!row) {
      if (this.unknown.size >= MAX_UNKNOWN_SECRETS) this.unknown.clear()
      this.unknown.add(secret)
      return undefined
    }
    const key = info(row)
    this.bySecret.set(secret, { key, until: Date.now() + CACHE_MS })
    if (this.activeCount?.n === 0) this.activeCount = undefined
    return key
  }

  private clearCache(): void {
    this.bySecret.clear()
    this.activeCount = undefined
  }
}

function info(row: keysRepo.ApiKeyRow | ApiKeyInfo): ApiKeyInfo {
  return { id: row.id, name: row.name, scope: row.scope, created_at: row.created_at, revoked_at: row.revoked_at }
}

export function scopeAllows(have: KeyScope, need: KeyScope): boolean {
  return KEY_SCOPES.indexOf(have) >= KEY_SCOPES.indexOf(need)
}
