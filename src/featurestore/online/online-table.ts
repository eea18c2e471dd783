import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { MetadataSchema } from '../../metadata/index.js'
import { encodeFeatureValues } from './keys.js'
import { wins, type OnlineRecord, type OnlineViewRef, type ViewWrite, type WriteStats } from './online-store.js'

/** One record as the upsert reads it. */
export interface EncodedRow {
  readonly entity_key: string
  readonly feature_values: string
  readonly event_ts_us: number
  readonly created_ts_us: number | null
}

/**
 * How an engine turns encoded rows into a relation with the columns of `EncodedRow`, bound as
 * few parameters as possible: binding one parameter per value costs about a millisecond per row
 * on DuckDB.
 */
export type RowsSource = (rows: readonly EncodedRow[]) => RawBuilder<unknown>

const ROWS_PER_STATEMENT = 50_000

/**
 * Records as the online table stores them (encoded once: the embedded cache keeps the same
 * text), one per key, the one that `wins`, and in key order. An upsert must not see a key twice;
 * and writers that lock rows in one order cannot deadlock: PostgreSQL locks each row an upsert
 * writes until the commit, so two pushes of keys [1001, 1002] and [1002, 1001] written as given
 * wait for each other.
 */
export function encodeRecords(records: readonly OnlineRecord[]): EncodedRow[] {
  const byKey = new Map<string, EncodedRow>()
  for (const r of records) {
    const row = { entity_key: r.key, feature_values: encodeFeatureValues(r.values), event_ts_us: r.eventTs, created_ts_us: r.createdTs }
    const seen = byKey.get(r.key)
    if (!seen || wins(asVersioned(row), row.feature_values, asVersioned(seen), () => Buffer.from(seen.feature_values))) byKey.set(r.key, row)
  }
  return [...byKey.values()].sort((a, b) => compareUtf8(a.entity_key, b.entity_key))
}

/**
 * Orders strings by their UTF-8 bytes (code points), as PostgreSQL's `collate "C"` does, so a
 * push and a bulk materialization (which writes its keys `order by entity_key collate "C"`) lock
 * rows in one order. UTF-16 code units order differently only where a surrogate (a character
 * beyond U+FFFF) meets U+E000–U+FFFF: surrogates are moved above those.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x === y) continue
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000
    }
    return x - y
  }
  return a.length - b.length
}

/** A view write encoded (`encodeRecords`), with its place in the caller's list. */
export interface EncodedWrite {
  readonly ref: OnlineViewRef
  readonly rows: readonly EncodedRow[]
  readonly at: number
}

/**
 * The writes of one transaction, each encoded, in view order (name, then version): like keys
 * within a view, the order in which every writer takes the views' row locks.
 */
export function encodeWrites(writes: readonly ViewWrite[]): EncodedWrite[] {
  return writes.map(({ ref, records }, at) => ({ ref, rows: encodeRecords(records), at }))
    .sort((a, b) => (a.ref.view < b.ref.view ? -1 : a.ref.view > b.ref.view ? 1 : a.ref.version - b.ref.version))
}

/** Rows written per write, back in the caller's order. */
export function statsInOrder(writes: readonly EncodedWrite[], written: readonly number[]): WriteStats[] {
  const stats: WriteStats[] = new Array(writes.length)
  writes.forEach((w, i) => (stats[w.at] = { written: written[i]! }))
  return stats
}

function asVersioned(row: EncodedRow) {
  return { eventTs: row.event_ts_us, createdTs: row.created_ts_us }
}

/**
 * Upserts encoded records (`encodeRecords`: one per key, in key order, which the statements
 * keep) into `online_values` with the rule of `wins`, expressed in SQL so that it holds against
 * rows this process never saw (`collate "C"` compares UTF-8 bytes on both engines). Run inside a
 * transaction for atomicity. Returns the rows inserted or replaced.
 *
 * @example
 * insert into online_values (project, view, version, entity_key, …)
 * select $1, $2, cast($3 as bigint), r.entity_key, … from (<rows source>) as r where true
 * on conflict (project, view, version, entity_key) do update set feature_values = excluded.feature_values, …
 * where excluded.event_ts_us > online_values.event_ts_us
 *    or (excluded.event_ts_us = online_values.event_ts_us
 *        and (coalesce(excluded.created_ts_us, $5) > coalesce(online_values.created_ts_us, $5)
 *             or (coalesce(excluded.created_ts_us, $5) = coalesce(online_values.created_ts_us, $5)
 *                 and excluded.feature_values collate "C" >= online_values.feature_values collate "C")))
 */
export async function upsertOnlineRows(
  db: Kysely<MetadataSchema>, rowsSource: RowsSource, project: string, ref: OnlineViewRef, records: readonly EncodedRow[], now: string,
): Promise<number> {
  let written = 0
  for (let i = 0; i < records.length; i += ROWS_PER_STATEMENT) {
    const rows = records.slice(i, i + ROWS_PER_STATEMENT)
    const result = await upsertStatement(project, ref, rowsSource(rows), now).execute(db)
    written += Number(result.numAffectedRows ?? 0)
  }
  return written
}

/**
 * The upsert of `upsertOnlineRows` from any relation with the columns of `EncodedRow`, one row
 * per key (a bulk write's staging table, in key order on PostgreSQL, where rows are locked in
 * the order they are written).
 */
export function upsertStatement(project: string, ref: OnlineViewRef, rows: RawBuilder<unknown>, now: string): RawBuilder<unknown> {
  // `where true` keeps PostgreSQL from reading `on conflict` as part of a join (its documented parse ambiguity).
  return sql`
      insert into online_values (project, view, version, entity_key, feature_values, event_ts_us, created_ts_us, written_at)
      select ${project}, ${ref.view}, cast(${ref.version} as bigint), r.entity_key, r.feature_values, r.event_ts_us, r.created_ts_us, cast(${now} as timestamptz)
      from ${rows} as r
      where true
      on conflict (project, view, version, entity_key) do update set
        feature_values = excluded.feature_values, event_ts_us = excluded.event_ts_us,
        created_ts_us = excluded.created_ts_us, written_at = excluded.written_at
      where excluded.event_ts_us > online_values.event_ts_us
        or (excluded.event_ts_us = online_values.event_ts_us
            and (coalesce(excluded.created_ts_us, ${NULL_CREATED}) > coalesce(online_values.created_ts_us, ${NULL_CREATED})
                 or (coalesce(excluded.created_ts_us, ${NULL_CREATED}) = coalesce(online_values.created_ts_us, ${NULL_CREATED})
                     and excluded.feature_values collate "C" >= online_values.feature_values collate "C")))`
}

/**
 * A null created timestamp sorts below every real one (−(2^53 − 1) µs is the year 1684).
 */
const NULL_CREATED = Number.MIN_SAFE_INTEGER

/** Every stored row of one view version (the embedded cache's fill). */
export async function readView(db: Kysely<MetadataSchema>, project: string, ref: OnlineViewRef): Promise<EncodedRow[]> {
  const rows = await db.selectFrom('online_values')
    .select(['entity_key', 'feature_values', 'event_ts_us', 'created_ts_us'])
    .where('project', '=', project).where('view', '=', ref.view).where('version', '=', ref.version)
    .execute()
  return readEncoded(rows)
}

/** Encoded rows as the database returns them (bigints as numbers or bigint). */
export function readEncoded(rows: readonly { entity_key: string; feature_values: string; event_ts_us: number | bigint | string; created_ts_us: number | bigint | string | null }[]): EncodedRow[] {
  return rows.map((r) => ({
    entity_key: r.entity_key, feature_values: r.feature_values,
    event_ts_us: Number(r.event_ts_us), created_ts_us: r.created_ts_us === null ? null : Number(r.created_ts_us),
  }))
}
