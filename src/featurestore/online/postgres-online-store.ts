import { randomBytes } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import { DEFAULT_ONLINE_CACHE_ENTRIES } from '../../core/index.js'
import type { MetadataSchema, MetadataStore } from '../../metadata/index.js'
import { withDuckDbCsv, type PostgresEngine, type Subscription } from '../../engines/index.js'
import { NearCache } from './near-cache.js'
import { StoredValue, type BulkBatch, type BulkWriteStats, type CacheStats, type OnlineLookup, type OnlineStore, type OnlineViewRef, type ViewWrite, type WriteStats, viewKey } from './online-store.js'
import { encodeWrites, statsInOrder, upsertOnlineRows, upsertStatement, type RowsSource } from './online-table.js'
import type { OnlineStoreOptions } from './open-online-store.js'

/**
 * The server-mode online store: PostgreSQL's `online_values`, shared by every replica, read
 * through an in-process near-cache (`NearCache`).
 *
 * The promise: a reader sees each view version's old or new state, never a mix of the two, and
 * sees a write committed by any process (any replica) as soon as that write's notification reaches
 * this one, milliseconds after the commit; its own writes as soon as they commit. How: every
 * write transaction bumps the view version's generation (`online_generations`) and sends
 * `pg_notify` on `asof_online`, which PostgreSQL delivers at commit; a session of this store
 * LISTENs there and drops the view's cached entries of older generations. A request whose keys are
 * all cached is answered from memory; otherwise the keys missing are read from PostgreSQL, with each
 * view's generation in the same statement (one snapshot). Cached and read values are combined only
 * when the view's cached generation is the one read (no write in between); a view whose generation
 * moved is read again whole. What is read is cached only if no newer generation was announced
 * meanwhile. While the LISTEN session is down (not yet up, lost,
 * reconnecting), nothing is cached and every read goes to PostgreSQL; a session that goes silent
 * is lost after its heartbeat's few seconds (`PostgresEngine.listen`), the one window in which a
 * replica can serve a value older than a notified write.
 *
 * A database read costs one round trip: one statement for all the request's views (`READ`), each
 * key looked up by the full primary key in a `lateral … limit 1` subquery. That shape is a nested
 * loop of index probes whatever the table's statistics say: a plain join against the unnested keys
 * was planned as a hash join over the whole table while the table had never been analyzed (right
 * after the first materialization: 170 ms instead of 2), and `entity_key = any($keys)` as an index
 * filter scanning the whole view.
 */
export class PostgresOnlineStore implements OnlineStore {
  private readonly cache: NearCache
  private readonly cacheEntries: number
  private listener?: Subscription | 'starting'
  private closed = false

  constructor(private readonly metadata: MetadataStore, private readonly project: string, options: OnlineStoreOptions = {}) {
    this.cacheEntries = options.cacheEntries ?? DEFAULT_ONLINE_CACHE_ENTRIES
    this.cache = new NearCache(this.cacheEntries)
  }

  /**
   * One transaction for all the views; rows and then generations are locked in one order by
   * every writer (views by name and version, keys in order: `encodeWrites`), so concurrent
   * writers wait for each other and never deadlock. The transaction's notifications reach every
   * replica together at its commit; this process announces its own at once, in one step.
   */
  async write(writes: readonly ViewWrite[]): Promise<WriteStats[]> {
    const encoded = encodeWrites(writes)
    const now = new Date().toISOString()
    const { written, generations } = await this.metadata.transaction(async (tx) => {
      const written: number[] = []
      for (const { ref, rows } of encoded) written.push(await upsertOnlineRows(tx, rowsFromArrays, this.project, ref, rows, now))
      // Rows that lost to newer ones left the view as it was, and every cache of it valid.
      const generations: (number | undefined)[] = []
      for (const [i, { ref }] of encoded.entries()) generations.push(written[i]! > 0 ? await bumpGeneration(tx, this.project, ref) : undefined)
      return { written, generations }
    })
    encoded.forEach(({ ref }, i) => {
      if (generations[i] !== undefined) this.cache.announce(viewKey(ref), generations[i])
    })
    return statsInOrder(encoded, written)
  }

  /**
   * A batch computed by DuckDB (file and DuckDB sources) is written by DuckDB to a CSV file and
   * `COPY`ed into a temporary staging table, then upserted from it in key order (the order every
   * writer locks rows in) by one statement, with the generation bump, in one transaction: no row
   * passes through JavaScript, and a failure or a crash leaves the view as it was.
   */
  async writeBatch(ref: OnlineViewRef, batch: BulkBatch): Promise<BulkWriteStats | undefined> {
    if (batch.engine.kind !== 'duckdb') return undefined
    const now = new Date().toISOString()
    const stageName = `asof_stage_${randomBytes(8).toString('hex')}`
    const stage = sql.id(stageName)
    const { read, written, generation } = await withDuckDbCsv(batch.engine, batch.encoded, (csv) =>
      (this.metadata.engine as PostgresEngine).copyTransaction(async (tx) => {
        await sql`create temporary table ${stage} (entity_key text, feature_values text, event_ts_us bigint, created_ts_us bigint) on commit drop`.execute(tx.db)
        const read = await tx.copyCsv(stageName, STAGE_COLUMNS, csv)
        const result = await upsertStatement(this.project, ref, sql`(select * from ${stage} order by entity_key collate "C")`, now).execute(tx.db)
        const written = Number(result.numAffectedRows ?? 0)
        return { read, written, generation: written > 0 ? await bumpGeneration(tx.db, this.project, ref) : undefined }
      }))
    if (generation !== undefined) this.cache.announce(viewKey(ref), generation)
    return { read, written }
  }

  /** Nothing: the near-cache fills by key (loading whole views would read the whole online table). */
  async preload(): Promise<void> {}

  /** hits: entity lookups answered from memory; fills: view answers read from PostgreSQL and cached. */
  cacheStats(): CacheStats {
    return { hits: this.cache.hits, fills: this.cache.fills }
  }

  async close(): Promise<void> {
    this.closed = true
    const listener = this.listener
    this.listener = undefined
    if (listener && listener !== 'starting') await listener.close()
  }

  async read(lookups: readonly OnlineLookup[]): Promise<(StoredValue | undefined)[][]> {
    if (!lookups.some(({ keys }) => keys.some((k) => k !== null))) return lookups.map(({ keys }) => keys.map(() => undefined))
    if (this.listener === undefined && this.cacheEntries > 0 && !this.closed) void this.listen()
    const views = lookups.map((l) => viewKey(l.ref))
    const cached = this.cache.lookup(lookups, views)
    if (cached?.every((c) => c.missing.length === 0)) {
      this.cache.countHits(cached.reduce((n, c) => n + c.hits, 0))
      return cached.map((c) => c.found)
    }
    const ticket = this.cache.ticket()
    // Only the keys the cache lacks are read, each view's generation with them (one snapshot).
    const toRead = cached ? lookups.map((l, i) => ({ ref: l.ref, keys: cached[i]!.missing.map((k) => l.keys[k]!) })) : lookups
    const read = await this.readDatabase(toRead)
    // Cached entries of another generation than the one read are older than the rows read:
    // those views are read again whole, so each view's answer comes from one snapshot.
    const stale = lookups.flatMap((_, i) => (cached && cached[i]!.hits > 0 && cached[i]!.generation !== read.generations[i] ? [i] : []))
    const reread = stale.length ? await this.readDatabase(stale.map((i) => lookups[i]!)) : undefined
    return lookups.map((l, i) => {
      const again = stale.indexOf(i)
      if (again >= 0) {
        this.fill(ticket, views[i]!, reread!.generations[again]!, l.keys, reread!.values[again]!)
        return reread!.values[again]!
      }
      this.fill(ticket, views[i]!, read.generations[i]!, toRead[i]!.keys, read.values[i]!)
      if (!cached) return read.values[i]!
      const { found, missing, hits } = cached[i]!
      this.cache.countHits(hits)
      missing.forEach((k, j) => (found[k] = read.values[i]![j]))
      return found
    })
  }

  private fill(ticket: number | undefined, view: string, generation: number, keys: readonly (string | null)[], found: readonly (StoredValue | undefined)[]): void {
    if (ticket !== undefined) this.cache.fill(ticket, view, generation, keys, found)
  }

  /** The values of `lookups`' keys and each view's generation, in one statement (one snapshot). */
  private async readDatabase(lookups: readonly OnlineLookup[]): Promise<{ values: (StoredValue | undefined)[][]; generations: number[] }> {
    const values = lookups.map(({ keys }) => keys.map((): StoredValue | undefined => undefined))
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
    const result = await pool.query<{ generations: string; found: string | null }>({
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
        values[i]![Number(line.slice(a + 1, b)) - first[i]!] = StoredValue.fromJson(line.slice(d + 1), Number(line.slice(b + 1, c)), createdTs)
      }
    }
    return { values, generations: result.rows[0]!.generations.split(',').map(Number) }
  }

  /**
   * Starts the LISTEN session (on the first read: commands that only write never open it).
   * Notifications are per database, so payloads name their schema and others' are ignored.
   */
  private async listen(): Promise<void> {
    this.listener = 'starting'
    let schema: string
    try {
      schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(this.metadata.db)).rows[0]!.schema
    } catch {
      if (this.listener === 'starting') this.listener = undefined // the next read tries again
      return
    }
    if (this.closed) return
    this.listener = (this.metadata.engine as PostgresEngine).listen(CHANNEL, {
      connected: (up) => this.cache.setListening(up),
      notify: (payload) => {
        const change = parseChange(payload)
        if (change && change.schema === schema && change.project === this.project) this.cache.announce(viewKey(change), change.generation)
      },
    })
  }
}

const CHANNEL = 'asof_online'

const STAGE_COLUMNS = [
  { name: 'entity_key', type: 'string' }, { name: 'feature_values', type: 'string' },
  { name: 'event_ts_us', type: 'int64' }, { name: 'created_ts_us', type: 'int64' },
] as const

/** A notification's payload: `[schema, project, view, version, generation]` (`bumpGeneration`). */
function parseChange(payload: string): { schema: string; project: string; view: string; version: number; generation: number } | undefined {
  try {
    const [schema, project, view, version, generation] = JSON.parse(payload) as unknown[]
    if (typeof schema === 'string' && typeof project === 'string' && typeof view === 'string' && typeof version === 'number' && typeof generation === 'number') {
      return { schema, project, view, version, generation }
    }
  } catch {
    // not one of ours: anyone may NOTIFY on the channel
  }
  return undefined
}

/**
 * Bumps a view version's generation and notifies it, inside the write's transaction: PostgreSQL
 * holds the notification until the commit (and drops it on rollback), and the row lock orders
 * generations as the commits of the view's writers. Returns the new generation.
 */
async function bumpGeneration(tx: Kysely<MetadataSchema>, project: string, ref: OnlineViewRef): Promise<number> {
  const { rows } = await sql<{ generation: number }>`
    with bumped as (
      insert into online_generations (project, view, version, generation)
      values (${project}, ${ref.view}, cast(${ref.version} as bigint), 1)
      on conflict (project, view, version) do update set generation = online_generations.generation + 1
      returning generation)
    select generation, pg_notify(${CHANNEL},
      json_build_array(current_schema(), cast(${project} as text), cast(${ref.view} as text), cast(${ref.version} as bigint), generation)::text)
    from bumped`.execute(tx)
  return Number(rows[0]!.generation)
}

/**
 * The read of a request, as a named statement (parsed and planned once per connection). Keys
 * are bound as one text, a line each (no escaping per element: keys are JSON, whose strings
 * escape every newline; '' stands for a null key, which no encoded key is). Each value found
 * comes back as one line of one text, `view⇥key⇥event_ts_us⇥created_ts_us⇥feature_values`
 * (the positions of the view and the key, from 1): a 100-entity request finds 500 values, and
 * pg building an object per row cost more than the lookups themselves. `generations` is each
 * view's generation (0: never written), in view order, read in the same snapshot as the values.
 */
const READ_STATEMENT = 'asof_online_read'
const READ = `
  select
    (select string_agg(coalesce(g.generation, 0)::text, ',' order by v.n)
     from unnest($2::text[], $3::bigint[]) with ordinality as v(view, version, n)
     left join online_generations g on g.project = $1 and g.view = v.view and g.version = v.version) as generations,
    (select string_agg(
       v.n || E'\\t' || k.n || E'\\t' || o.event_ts_us || E'\\t' || coalesce(o.created_ts_us::text, '') || E'\\t' || o.feature_values,
       E'\\n')
     from unnest($2::text[], $3::bigint[], $4::int[], $5::int[]) with ordinality as v(view, version, first, last, n)
     join unnest(string_to_array($6, E'\\n', '')) with ordinality as k(entity_key, n) on k.n between v.first and v.last
     cross join lateral (
       select feature_values, event_ts_us, created_ts_us from online_values
       where project = $1 and view = v.view and version = v.version and entity_key = k.entity_key
       limit 1) as o) as found`

/** Rows travel as one bound array per column, unnested together. */
const rowsFromArrays: RowsSource = (rows) => sql`(select * from unnest(
  cast(${rows.map((r) => r.entity_key)} as text[]), cast(${rows.map((r) => r.feature_values)} as text[]),
  cast(${rows.map((r) => r.event_ts_us)} as bigint[]), cast(${rows.map((r) => r.created_ts_us)} as bigint[])
) as u(entity_key, feature_values, event_ts_us, created_ts_us))`

