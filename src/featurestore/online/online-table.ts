import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { MetadataSchema } from '../../metadata/index.js'
import { encodeFeatureValues } from './keys.js'
import type { OnlineRecord, OnlineViewRef } from './online-store.js'

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

/** Records as the online table stores them (encoded once: the embedded cache keeps the same text). */
export function encodeRecords(records: readonly OnlineRecord[]): EncodedRow[] {
  return records.map((r) => ({ entity_key: r.key, feature_values: encodeFeatureValues(r.values), event_ts_us: r.eventTs, created_ts_us: r.createdTs }))
}

/**
 * Upserts encoded records (one per key) into `online_values` with the newer-wins rule of
 * `isNewerOrSame`, expressed in SQL so that it holds against rows this process never saw.
 * Run inside a transaction for atomicity. Returns the rows inserted or replaced.
 *
 * @example
 * insert into online_values (project, view, version, entity_key, …)
 * select $1, $2, cast($3 as bigint), r.entity_key, … from (<rows source>) as r where true
 * on conflict (project, view, version, entity_key) do update set feature_values = excluded.feature_values, …
 * where excluded.event_ts_us > online_values.event_ts_us
 *    or (excluded.event_ts_us = online_values.event_ts_us
 *        and coalesce(excluded.created_ts_us, $5) >= coalesce(online_values.created_ts_us, $5))
 */
export async function upsertOnlineRows(
  db: Kysely<MetadataSchema>, rowsSource: RowsSource, project: string, ref: OnlineViewRef, records: readonly EncodedRow[], now: string,
): Promise<number> {
  let written = 0
  for (let i = 0; i < records.length; i += ROWS_PER_STATEMENT) {
    const rows = records.slice(i, i + ROWS_PER_STATEMENT)
    // `where true` keeps PostgreSQL from reading `on conflict` as part of a join (its documented parse ambiguity).
    const result = await sql`
      insert into online_values (project, view, version, entity_key, feature_values, event_ts_us, created_ts_us, written_at)
      select ${project}, ${ref.view}, cast(${ref.version} as bigint), r.entity_key, r.feature_values, r.event_ts_us, r.created_ts_us, cast(${now} as timestamptz)
      from ${rowsSource(rows)} as r
      where true
      on conflict (project, view, version, entity_key) do update set
        feature_values = excluded.feature_values, event_ts_us = excluded.event_ts_us,
        created_ts_us = excluded.created_ts_us, written_at = excluded.written_at
      where excluded.event_ts_us > online_values.event_ts_us
        or (excluded.event_ts_us = online_values.event_ts_us
            and coalesce(excluded.created_ts_us, ${NULL_CREATED}) >= coalesce(online_values.created_ts_us, ${NULL_CREATED}))`
      .execute(db)
    written += Number(result.numAffectedRows ?? 0)
  }
  return written
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
  return rows.map((r) => ({
    entity_key: r.entity_key, feature_values: r.feature_values,
    event_ts_us: Number(r.event_ts_us), created_ts_us: r.created_ts_us === null ? null : Number(r.created_ts_us),
  }))
}
