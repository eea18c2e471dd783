import { sql, type RawBuilder } from 'kysely'
import type { Engine } from '../../engines/index.js'
import type { PlannedView, RetrievalPlan } from './retrieval-plan.js'
import {
  E, ROW, entitiesCte, entityTs, joinedFeature, keyAlias, keyConditions, lateralJoin, outputList, sourceFeatures,
  sourceFilter, sourceTs, viewAlias, type EntityInput,
} from './pit-sql.js'

/**
 * An integer constant computed here (never a user string) written into the SQL text: DuckDB then
 * sees the same expression in every feature's CASE and computes it once (bound parameters are
 * each distinct, and the ttl check took ~1 s of CPU per 1M rows that way).
 */
const int = (n: bigint | number) => sql.raw(`(${BigInt(n).toString()})`)

const ttlMicros = (seconds: number) => int(Math.round(seconds * 1e6))
const ttlLowerBound = (ts: RawBuilder<unknown>, seconds: number) => sql`${ts} - to_microseconds(${ttlMicros(seconds)})`

/**
 * ASOF's single inequality key for a view, which must order source rows by (event timestamp,
 * created timestamp with null lowest), so the latest created row wins a tie:
 * - `timestamp`: the event timestamp alone, for a view without a created column (nothing to break ties with);
 * - `packed`: both packed into one BIGINT, `bucket(ts) · slots + slot(created − ts)` (slot 0 for a
 *   null created timestamp), when the source's value ranges and granularity (whole seconds,
 *   milliseconds or microseconds) let every pair fit: as cheap as the plain timestamp key;
 * - `struct`: `{t: ts, c: created}` otherwise (exact always; the join costs ~1.6× the others' CPU
 *   at 10M × 1M; a HUGEINT key measured the same).
 */
export type AsofKey =
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'struct' }
  | {
    readonly kind: 'packed'
    /** Microseconds since the epoch of the earliest and latest event timestamp. */
    readonly tMin: bigint
    readonly tMax: bigint
    /** Every event timestamp is a multiple of tStep µs, every `created − ts` a multiple of dStep µs. */
    readonly tStep: bigint
    readonly dStep: bigint
    /** The smallest `created − ts` (µs). */
    readonly dMin: bigint
    /** Key values per event-timestamp bucket: one per possible `created − ts`, plus one for null. */
    readonly slots: bigint
  }

/** The largest packed key allowed (2^62, leaving room for the probe's arithmetic). */
const PACKED_LIMIT = 1n << 62n
const STEPS = [1_000_000n, 1_000n, 1n]

/**
 * Chooses each view's ASOF key. A view with a created column costs one aggregate scan of its
 * source (~15% of the join's CPU) to learn the value ranges that decide whether the packed key fits.
 */
export async function asofKeys(engine: Engine, plan: RetrievalPlan, sourceFrom: (view: PlannedView) => RawBuilder<unknown>): Promise<AsofKey[]> {
  return Promise.all(plan.views.map((v) => v.createdColumn && !v.filterByCreated ? tieBreakKey(engine, v, sourceFrom(v)) : { kind: 'timestamp' as const }))
}

async function tieBreakKey(engine: Engine, view: PlannedView, from: RawBuilder<unknown>): Promise<AsofKey> {
  const created = sql`cast(${sql.id('s')}.${sql.id(view.createdColumn!)} as timestamptz)`
  const [stats] = await engine.query<Record<string, number | bigint | boolean | null>>(sql`
    select min(t) as t_min, max(t) as t_max, min(d) as d_min, max(d) as d_max,
      bool_and(t % 1000000 = 0) as t_s, bool_and(t % 1000 = 0) as t_ms, bool_and(d % 1000000 = 0) as d_s, bool_and(d % 1000 = 0) as d_ms,
      bool_and(t is not null and (created is null or d is not null)) as finite
    from (select epoch_us(${sourceTs(view)}) as t, epoch_us(${created}) - epoch_us(${sourceTs(view)}) as d, ${created} as created
      from ${from} as s where ${sourceFilter(view)}) as stats`)
  // No rows: nothing to break ties between. An infinite timestamp has no epoch_us: only the struct orders it.
  if (!stats || stats.t_min === null) return { kind: 'timestamp' }
  if (stats.finite !== true) return { kind: 'struct' }
  const step = (s: unknown, ms: unknown) => STEPS[s !== false ? 0 : ms !== false ? 1 : 2]!
  const [tMin, tMax] = [BigInt(stats.t_min as number), BigInt(stats.t_max as number)]
  const [tStep, dStep] = [step(stats.t_s, stats.t_ms), step(stats.d_s, stats.d_ms)]
  const dMin = stats.d_min === null ? 0n : BigInt(stats.d_min as number)
  const slots = stats.d_min === null ? 1n : (BigInt(stats.d_max as number) - dMin) / dStep + 2n
  if (((tMax - tMin) / tStep + 1n) * slots > PACKED_LIMIT) return { kind: 'struct' }
  return { kind: 'packed', tMin, tMax, tStep, dMin, dStep, slots }
}

/**
 * The source row's key, the entity row's probe, and whether the matched row (`matched` is its
 * key) is within `ttl` of the entity timestamp.
 */
function keyExpressions(view: PlannedView, key: AsofKey, probeTs: RawBuilder<unknown>, matched: RawBuilder<unknown>) {
  const ts = sourceTs(view)
  const created = () => sql`cast(${sql.id('s')}.${sql.id(view.createdColumn!)} as timestamptz)`
  switch (key.kind) {
    case 'timestamp':
      return {
        source: ts,
        probe: sql`coalesce(${probeTs}, cast('-infinity' as timestamptz))`,
        withinTtl: (seconds: number) => sql`${matched} >= ${ttlLowerBound(probeTs, seconds)}`,
      }
    case 'struct':
      return {
        source: sql`{'t': ${ts}, 'c': coalesce(${created()}, cast('-infinity' as timestamptz))}`,
        probe: sql`{'t': coalesce(${probeTs}, cast('-infinity' as timestamptz)), 'c': cast('infinity' as timestamptz)}`,
        withinTtl: (seconds: number) => sql`${matched}.t >= ${ttlLowerBound(probeTs, seconds)}`,
      }
    case 'packed': {
      const { tMin, tMax, tStep, dMin, dStep, slots } = key
      const bucket = (us: RawBuilder<unknown>) => sql`(${us} - ${int(tMin)}) // ${int(tStep)} * ${int(slots)}`
      const asTs = (us: RawBuilder<unknown>) => sql`cast(make_timestamp(${us}) as timestamptz)`
      return {
        source: sql`${bucket(sql`epoch_us(${ts})`)} + coalesce((epoch_us(${created()}) - epoch_us(${ts}) - ${int(dMin)}) // ${int(dStep)} + 1, 0)`,
        // Below the earliest row (or null): -1, under every key. Above the latest: clamped, so no overflow.
        probe: sql`case when ${probeTs} >= ${asTs(int(tMin))} then ${bucket(sql`epoch_us(least(${probeTs}, ${asTs(int(tMax))}))`)} + ${int(slots - 1n)} else -1 end`,
        // In microseconds: the matched row's event timestamp decoded from its key.
        withinTtl: (seconds: number) => sql`${matched} // ${int(slots)} * ${int(tStep)} + ${int(tMin)} >= epoch_us(${probeTs}) - ${ttlMicros(seconds)}`,
      }
    }
  }
}

/**
 * DuckDB: one `ASOF LEFT JOIN` per view on the view's AsofKey (see there): the latest event
 * timestamp wins, then the latest created one. ASOF keeps exactly one row per entity row; the
 * ttl lower bound is applied to the row it found (an older row would be older still). A view
 * read with `filter_by_created_timestamp` has a per-row condition ASOF cannot express and takes
 * the LATERAL form instead.
 *
 * ```sql
 * … from __asof_entities as "e"
 * asof left join (select "s"."driver_id" as "__asof_k0",
 *     (epoch_us(cast("s"."event_timestamp" as timestamptz)) - $1) // $2 * $3 + coalesce((epoch_us(cast("s"."created" as timestamptz)) - epoch_us(…) - $4) // $5 + 1, 0) as "__asof_key",
 *     "s"."conv_rate" as "__asof_f0" from read_parquet($6) as s where "s"."event_timestamp" is not null and "s"."driver_id" is not null) as "__asof_v0"
 *   on "__asof_v0"."__asof_k0" = "e"."driver_id"
 *   and case when "e"."event_timestamp" >= make_timestamp($7) then (epoch_us(least("e"."event_timestamp", make_timestamp($8))) - $9) // $10 * $11 + $12 else -1 end >= "__asof_v0"."__asof_key"
 * ```
 */
export function renderPitDuckDb(plan: RetrievalPlan, entities: EntityInput, sourceFrom: (view: PlannedView) => RawBuilder<unknown>, keys: readonly AsofKey[]): RawBuilder<unknown> {
  const exprs = plan.views.map((v, i) => keyExpressions(v, keys[i]!, entityTs(plan), sql`${sql.id(viewAlias(i))}.${sql.id(KEY)}`))
  const joins = plan.views.map((v, i) =>
    v.filterByCreated ? lateralJoin(plan, v, i, sourceFrom(v), ttlLowerBound) : asofJoin(v, i, sourceFrom(v), exprs[i]!))
  const feature = (v: PlannedView, i: number, j: number) => {
    if (v.filterByCreated || v.ttlSeconds <= 0) return joinedFeature(i, j)
    return sql`case when ${exprs[i]!.withinTtl(v.ttlSeconds)} then ${joinedFeature(i, j)} end`
  }
  return sql`${entitiesCte(plan, entities)}
select ${outputList(plan, feature)}
from __asof_entities as ${E} ${sql.join(joins, sql` `)}
order by ${E}.${sql.id(ROW)}`
}

const KEY = '__asof_key'

function asofJoin(view: PlannedView, i: number, from: RawBuilder<unknown>, key: ReturnType<typeof keyExpressions>): RawBuilder<unknown> {
  const alias = sql.id(viewAlias(i))
  const keys = view.keysComparable ? view.joinKeys.map((k, j) => sql`${sql.id('s')}.${sql.id(k.sourceColumn)} as ${sql.id(keyAlias(j))}, `) : []
  const source = sql`select ${sql.join(keys, sql``)}${key.source} as ${sql.id(KEY)},
    ${sourceFeatures(view)} from ${from} as s where ${sourceFilter(view)}`
  const conditions = [...(view.keysComparable ? keyConditions(view, (j) => sql`${alias}.${sql.id(keyAlias(j))}`) : []), sql`${key.probe} >= ${alias}.${sql.id(KEY)}`]
  return sql`asof left join (${source}) as ${alias} on ${sql.join(conditions, sql` and `)}`
}
