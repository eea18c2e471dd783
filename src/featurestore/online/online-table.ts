import { sql, type Kysely } from 'kysely'
import type { MetadataSchema } from '../../metadata/index.js'
import { decodeFeatureValues, encodeFeatureValues } from './keys.js'
import type { OnlineRecord, OnlineViewRef, StoredValue } from './online-store.js'

/** Rows per statement: the columns travel as bound arrays, so a statement has eight parameters. */
const ROWS_PER_STATEMENT = 50_000

/**
 * Upserts records (one per key) into `online_values` with the newer-wins rule of
 * `isNewerOrSame`, expressed in SQL so that it holds against rows this process never saw.
 * Columns are bound as arrays and unnested (row-wise VALUES cost about a millisecond per row on
 * DuckDB, the arrays tens of microseconds). A null created timestamp travels as NULL_CREATED:
 * DuckDB's list parameters lose their type when they start with a null. Run inside a transaction for atomicity. Returns the
 * rows inserted or replaced.
 *
 * @example
 * insert into online_values (project, view, version, entity_key, …)
 * select $1, $2, $3, unnest(cast($4 as text[])), … where true
 * on conflict (project, view, version, entity_key) do update set feature_values = excluded.feature_values, …
 * where excluded.event_ts_us > online_values.event_ts_us
 *    or (excluded.event_ts_us = online_values.event_ts_us
 *        and coalesce(excluded.created_ts_us, $9) >= coalesce(online_values.created_ts_us, $9))
 */
export async function upsertOnlineRows(db: Kysely<MetadataSchema>, project: string, ref: OnlineViewRef, records: readonly OnlineRecord[], now: string): Promise<number> {
  let written = 0
  for (let i = 0; i < records.length; i += ROWS_PER_STATEMENT) {
    const part = records.slice(i, i + ROWS_PER_STATEMENT)
    // `where true` keeps PostgreSQL from reading `on conflict` as part of a join (its documented parse ambiguity).
    const result = await sql`
      insert into online_values (project, view, version, entity_key, feature_values, event_ts_us, created_ts_us, written_at)
      select ${project}, ${ref.view}, cast(${ref.version} as bigint),
        unnest(cast(${part.map((r) => r.key)} as text[])),
        unnest(cast(${part.map((r) => encodeFeatureValues(r.values))} as text[])),
        unnest(cast(${part.map((r) => r.eventTs)} as bigint[])),
        nullif(unnest(cast(${part.map((r) => r.createdTs ?? NULL_CREATED)} as bigint[])), ${NULL_CREATED}),
        cast(${now} as timestamptz)
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
 * A null created timestamp sorts below every real one. −(2^53 − 1) µs is the year 1684, and a
 * safe integer prints exactly, so it survives both drivers' parameter encoding.
 */
const NULL_CREATED = Number.MIN_SAFE_INTEGER

/** Every stored value of one view version (the embedded cache's fill). */
export async function readView(db: Kysely<MetadataSchema>, project: string, ref: OnlineViewRef): Promise<Map<string, StoredValue>> {
  const rows = await db.selectFrom('online_values')
    .select(['entity_key', 'feature_values', 'event_ts_us', 'created_ts_us'])
    .where('project', '=', project).where('view', '=', ref.view).where('version', '=', ref.version)
    .execute()
  return new Map(rows.map((r) => [r.entity_key, toStoredValue(r)]))
}

export function toStoredValue(r: { feature_values: string; event_ts_us: number | bigint; created_ts_us: number | bigint | null }): StoredValue {
  return {
    values: decodeFeatureValues(r.feature_values),
    eventTs: Number(r.event_ts_us),
    createdTs: r.created_ts_us === null ? null : Number(r.created_ts_us),
  }
}
