import { sql } from 'kysely'
import type { MetadataStore } from '../../metadata/index.js'
import type { PostgresEngine } from '../../engines/index.js'
import { latestPerKey, StoredValue, type CacheStats, type OnlineLookup, type OnlineRecord, type OnlineStore, type OnlineViewRef, type WriteStats } from './online-store.js'
import { encodeRecords, upsertOnlineRows, type RowsSource } from './online-table.js'

/**
 * The server-mode online store: PostgreSQL's `online_values`, so replicas always agree. A
 * request costs one round trip: one statement for all its views (`READ`), each key looked up
 * by the full primary key in a `lateral … limit 1` subquery. That shape is a nested loop of
 * index probes whatever the table's statistics say: a plain join against the unnested keys was
 * planned as a hash join over the whole table while the table had never been analyzed (right
 * after the first materialization: 170 ms instead of 2), and `entity_key = any($keys)` as an
 * index filter scanning the whole view.
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

  async read(lookups: readonly OnlineLookup[]): Promise<(StoredValue | undefined)[][]> {
    const out = lookups.map(({ keys }) => keys.map((): StoredValue | undefined => undefined))
    if (!lookups.some(({ keys }) => keys.some((k) => k !== null))) return out
    // Views keyed by the same entity columns share one key array (`answerOnline`): each array
    // is bound once, and a view reads the positions [first, last] of the keys bound.
    const keys: (string | null)[] = []
    const firstOf = new Map<readonly (string | null)[], number>()
    const first = lookups.map((l) => {
      let at = firstOf.get(l.keys)
      if (at === undefined) {
        firstOf.set(l.keys, (at = keys.length + 1))
        keys.push(...l.keys)
      }
      return at
    })
    const pool = (this.metadata.engine as PostgresEngine).pool
    const result = await pool.query<{ found: string | null }>({
      name: READ_STATEMENT,
      text: READ,
      values: [
        this.project, lookups.map((l) => l.ref.view), lookups.map((l) => l.ref.version),
        first, lookups.map((l, i) => first[i]! + l.keys.length - 1), keys.map((k) => k ?? '').join('\n'),
      ],
    })
    const found = result.rows[0]?.found
    if (found) {
      for (const line of found.split('\n')) {
        const a = line.indexOf('\t')
        const b = line.indexOf('\t', a + 1)
        const c = line.indexOf('\t', b + 1)
        const d = line.indexOf('\t', c + 1)
        const i = Number(line.slice(0, a)) - 1
        const createdTs = c + 1 === d ? null : Number(line.slice(c + 1, d))
        out[i]![Number(line.slice(a + 1, b)) - first[i]!] = StoredValue.fromJson(line.slice(d + 1), Number(line.slice(b + 1, c)), createdTs)
      }
    }
    return out
  }
}

/**
 * The read of a request, as a named statement (parsed and planned once per connection). Keys
 * are bound as one text, a line each (no escaping per element: keys are JSON, whose strings
 * escape every newline; '' stands for a null key, which no encoded key is). Each value found
 * comes back as one line of one text, `view⇥key⇥event_ts_us⇥created_ts_us⇥feature_values`
 * (the positions of the view and the key, from 1): a 100-entity request finds 500 values, and
 * pg building an object per row cost more than the lookups themselves.
 */
const READ_STATEMENT = 'asof_online_read'
const READ = `
  select string_agg(
    v.n || E'\\t' || k.n || E'\\t' || o.event_ts_us || E'\\t' || coalesce(o.created_ts_us::text, '') || E'\\t' || o.feature_values,
    E'\\n') as found
  from unnest($2::text[], $3::bigint[], $4::int[], $5::int[]) with ordinality as v(view, version, first, last, n)
  join unnest(string_to_array($6, E'\\n', '')) with ordinality as k(entity_key, n) on k.n between v.first and v.last
  cross join lateral (
    select feature_values, event_ts_us, created_ts_us from online_values
    where project = $1 and view = v.view and version = v.version and entity_key = k.entity_key
    limit 1) as o`

/** Rows travel as one bound array per column, unnested together. */
const rowsFromArrays: RowsSource = (rows) => sql`(select * from unnest(
  cast(${rows.map((r) => r.entity_key)} as text[]), cast(${rows.map((r) => r.feature_values)} as text[]),
  cast(${rows.map((r) => r.event_ts_us)} as bigint[]), cast(${rows.map((r) => r.created_ts_us)} as bigint[])
) as u(entity_key, feature_values, event_ts_us, created_ts_us))`

