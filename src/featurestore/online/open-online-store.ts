import type { EngineKind } from '../../engines/index.js'
import type { MetadataStore } from '../../metadata/index.js'
import { DuckDbOnlineStore } from './duckdb-online-store.js'
import type { OnlineStore } from './online-store.js'
import { PostgresOnlineStore } from './postgres-online-store.js'

export interface OnlineStoreOptions {
  /** Server mode: most entries the in-process cache holds (0: no cache); default `DEFAULT_ONLINE_CACHE_ENTRIES`. */
  readonly cacheEntries?: number
}

const STORES: Record<EngineKind, new (metadata: MetadataStore, project: string, options?: OnlineStoreOptions) => OnlineStore> = {
  duckdb: DuckDbOnlineStore,
  postgres: PostgresOnlineStore,
}

/** The online store for the metadata database's engine (DESIGN.md, storage modes). */
export function openOnlineStore(metadata: MetadataStore, project: string, options: OnlineStoreOptions = {}): OnlineStore {
  return new STORES[metadata.engine.kind](metadata, project, options)
}
