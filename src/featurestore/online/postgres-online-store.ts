import { sql } from 'kysely'
import type { MetadataStore } from '../../metadata/index.js'
import { latestPerKey, type CacheStats, type OnlineLookup, type OnlineRecord, type OnlineStore, type OnlineViewRef, type StoredValue, type WriteStats } from './online-store.js'
import { encodeRecords, toStoredValue, upsertOnlineRows, type RowsSource } from './online-table.js'

/**
 * The server-mode online store: PostgreSQL's `online_values`, read with one indexed query per
 * request for all views (the keys travel as three bound arrays), so replicas always agree and a
 * request costs one round trip.
 */
export class PostgresOnlineStore implements OnlineStore {
  constructor(private readonly metadata: MetadataStore, private readonly project: string) {}

  async write(ref: OnlineViewRef, records: readonly OnlineRecord[]): Promise<WriteStats> {
    const rows = encodeRecords(latestPerKey(records))
    const now = new Date().toISOString()
    const written = await this.metadata.transaction((tx) => upsertOnlineRows(tx, rowsFromArrays, this.project, ref, rows, now))
    return { written }
  }

  /** Reads always go to PostgreSQL, so every replica sees every write at once. */
  cacheStats(): CacheStats {
    return { hits: 0, fills: 0 }
  }

  /**
   * @example
   * select o.view, o.version, o.entity_key, … from online_values o
   * join unnest(cast($1 as text[]), cast($2 as bigint[]), cast($3 as text[])) as k(view, version, entity_key)
   *   on o.project = $4 and o.view = k.view and o.version = k.version and o.entity_key = k.entity_key
   */
  async read(lookups: readonly OnlineLookup[]): Promise<(StoredValue | undefined)[][]> {
    const views: string[] = []
    const versions: number[] = []
    const keys: string[] = []
    for (const { ref, keys: ks } of lookups) {
      for (const k of ks) {
        if (k === null) continue
        views.push(ref.view)
        versions.push(ref.version)
        keys.push(k)
      }
    }
    const found = new Map<string, StoredValue>()
    if (keys.length > 0) {
      const rows = await sql<{ view: string; version: number; entity_key: string; feature_values: string; event_ts_us: number; created_ts_us: number | null }>`
        select o.view, o.version, o.entity_key, o.feature_values, o.event_ts_us, o.created_ts_us
        from online_values o
        join unnest(cast(${views} as text[]), cast(${versions} as bigint[]), cast(${keys} as text[])) as k(view, version, entity_key)
          on o.project = ${this.project} and o.view = k.view and o.version = k.version and o.entity_key = k.entity_key`
        .execute(this.metadata.db)
      for (const r of rows.rows) found.set(lookupKey({ view: r.view, version: Number(r.version) }, r.entity_key), toStoredValue(r))
    }
    return lookups.map(({ ref, keys: ks }) => ks.map((k) => (k === null ? undefined : found.get(lookupKey(ref, k)))))
  }
}

/** Rows travel as one bound array per column, unnested together. */
const rowsFromArrays: RowsSource = (rows) => sql`(select * from unnest(
  cast(${rows.map((r) => r.entity_key)} as text[]), cast(${rows.map((r) => r.feature_values)} as text[]),
  cast(${rows.map((r) => r.event_ts_us)} as bigint[]), cast(${rows.map((r) => r.created_ts_us)} as bigint[])
) as u(entity_key, feature_values, event_ts_us, created_ts_us))`

function lookupKey(ref: OnlineViewRef, key: string): string {
  return `${ref.view}@${ref.version}\u0000${key}`
}
