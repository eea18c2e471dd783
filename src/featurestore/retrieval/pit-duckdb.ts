import { sql, type RawBuilder } from 'kysely'
import type { Engine } from '../../engines/index.js'
import type { PlannedView, RetrievalPlan } from './retrieval-plan.js'
import {
  E, ROW, entitiesCte, entityColumn, entityTs, featureAlias, featureColumns, joinedFeature, keyAlias, keyConditions, lateralJoin,
  outputList, sourceFeatures, sourceFilter, sourceTs, viewAlias, type EntityInput, type PitTarget,
} from './pit-sql.js'

/**
 * An integer constant computed here (never a user string) written into the SQL text: DuckDB then
 * sees the same expression in every feature's CASE and computes it once (bound parameters are
 * each distinct, and the ttl check took ~1 s of CPU per 1M rows that way).
 */
const int = (n: bigint | number) => sql`(${sql.lit(BigInt(n))})`

const ttlMicros = (seconds: number) => int(Math.round(seconds * 1e6))
const ttlLowerBound = (ts: RawBuilder<unknown>, seconds: number) => sql`${ts} - to_microseconds(${ttlMicros(seconds)})`

/**
 * ASOF's single inequality key for a view, which must order source rows by (event timestamp,
 * created timestamp with null lowest), so the latest created row wins a tie:
 * - `timestamp`: the event timestamp alone, for a view without a created column (nothing to break ties with);
 * - `packed`: both packed into one BIGINT, `bucket(ts) · slots + slot(created)` (slot 0 for a null
 *   created timestamp), when the source's ranges at its granularity (whole seconds, milliseconds or
 *   microseconds) let every pair fit: as cheap as the plain timestamp key;
 * - `struct`: `{t: ts, c: created}` otherwise (exact always; the join costs ~1.6× the others' CPU
 *   at 10M × 1M; a HUGEINT key measured the same).
 */
export type AsofKey =
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'struct' }
  | {
    readonly kind: 'packed'
    /** Microseconds since the epoch: the event timestamps' range, and the smallest created timestamp. */
    readonly tMin: bigint
    readonly tMax: bigint
    readonly cMin: bigint
    readonly cMax: bigint
    /** Every timestamp is a multiple of `step` µs. */
    readonly step: bigint
    /** Key values per event-timestamp bucket: one per possible created timestamp, plus one for null. */
    readonly slots: bigint
  }

/** The largest packed key allowed (2^62, leaving room for the probe's arithmetic). */
const PACKED_LIMIT = 1n << 62n
const STEPS = [1_000_000n, 1_000n, 1n]
/** Raised by a packed key meeting a row its ranges or step do not cover; the join is rerun with the struct key. */
const PACKING_REJECTED = 'asof: a timestamp outside the packed ASOF key'

/**
 * Chooses each view's ASOF key from the source's min and max timestamps (free for Parquet, from
 * its metadata; a full scan, ~0.45 s CPU per 10M rows, measured, would cost ~10% of the join) and
 * the granularity of its first rows. Every row's key checks that it is covered, and a row that
 * is not stops the query with PACKING_REJECTED: see `isPackingRejected`.
 */
export async function asofKeys(engine: Engine, plan: RetrievalPlan, sourceFrom: (view: PlannedView) => RawBuilder<unknown>): Promise<AsofKey[]> {
  return Promise.all(plan.views.map((v) => v.createdColumn && !v.filterByCreated ? tieBreakKey(engine, v, sourceFrom(v)) : { kind: 'timestamp' as const }))
}

/** The keys to rerun with after PACKING_REJECTED: struct keys instead of packed ones. */
export function unpackedKeys(keys: readonly AsofKey[]): AsofKey[] {
  return keys.map((k) => (k.kind === 'packed' ? { kind: 'struct' } : k))
}

export function isPackingRejected(e: unknown): boolean {
  return e instanceof Error && e.message.includes(PACKING_REJECTED)
}

async function tieBreakKey(engine: Engine, view: PlannedView, from: RawBuilder<unknown>): Promise<AsofKey> {
  const ts = sql`${sql.id('s')}.${sql.id(view.timestampColumn)}`
  const created = sql`${sql.id('s')}.${sql.id(view.createdColumn!)}`
  const us = (aggregate: RawBuilder<unknown>) => sql`epoch_us(cast(${aggregate} as timestamptz))`
  // Both at once (they precede the join, on its critical path). Plain min/max over the whole
  // relation, so DuckDB can answer them from metadata; the granularity from the first rows.
  const [[range], [sample]] = await Promise.all([
    engine.query<Record<string, number | bigint | null>>(sql`
      select ${us(sql`min(${ts})`)} as t_min, ${us(sql`max(${ts})`)} as t_max, ${us(sql`min(${created})`)} as c_min, ${us(sql`max(${created})`)} as c_max
      from ${from} as s`),
    engine.query<Record<string, boolean | null>>(sql`
      select bool_and(t % 1000000 = 0 and coalesce(c % 1000000 = 0, true)) as s, bool_and(t % 1000 = 0 and coalesce(c % 1000 = 0, true)) as ms
      from (select epoch_us(${sourceTs(view)}) as t, epoch_us(cast(${created} as timestamptz)) as c from ${from} as s limit 2048) as sample`),
  ])
  // No rows: nothing to tie. An infinite timestamp has no epoch_us: only the struct orders it.
  if (!range || (range.t_min === null && range.t_max === null)) return { kind: 'timestamp' }
  if (range.t_min === null || range.t_max === null || (range.c_min === null) !== (range.c_max === null)) return { kind: 'struct' }
  const [tMin, tMax] = [BigInt(range.t_min), BigInt(range.t_max)]
  const [cMin, cMax] = range.c_min === null ? [0n, 0n] : [BigInt(range.c_min), BigInt(range.c_max!)]
  const coarsest = sample?.s !== false ? 0 : sample?.ms !== false ? 1 : 2
  for (const step of STEPS.slice(coarsest)) {
    // Aligned minimums let each row's check test `x % step` instead of `(x − min) % step`.
    if (tMin % step !== 0n || cMin % step !== 0n) continue
    const slots = range.c_min === null ? 1n : (cMax - cMin) / step + 2n
    if (((tMax - tMin) / step + 1n) * slots <= PACKED_LIMIT) return { kind: 'packed', tMin, tMax, cMin, cMax, step, slots }
  }
  return { kind: 'struct' }
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
      const { tMin, tMax, cMin, cMax, step, slots } = key
      const bucket = (us: RawBuilder<unknown>) => sql`(${us} - ${int(tMin)}) // ${int(step)} * ${int(slots)}`
      const asTs = (us: RawBuilder<unknown>) => sql`cast(make_timestamp(${us}) as timestamptz)`
      const [t, c] = [sql`epoch_us(${ts})`, sql`epoch_us(${created()})`]
      const covered = (x: RawBuilder<unknown>, min: bigint, max: bigint) =>
        step === 1n ? sql`${x} between ${int(min)} and ${int(max)}` : sql`${x} between ${int(min)} and ${int(max)} and ${x} % ${int(step)} = 0`
      return {
        // A null created timestamp makes its check null, which coalesce accepts.
        source: sql`case when ${covered(t, tMin, tMax)} and coalesce(${covered(c, cMin, cMax)}, true)
          then ${bucket(t)} + coalesce((${c} - ${int(cMin)}) // ${int(step)} + 1, 0) else error(${sql.lit(PACKING_REJECTED)}) end`,
        // Below the earliest row (or null): -1, under every key. Above the latest: clamped, so no overflow.
        probe: sql`case when ${probeTs} >= ${asTs(int(tMin))} then ${bucket(sql`epoch_us(least(${probeTs}, ${asTs(int(tMax))}))`)} + ${int(slots - 1n)} else -1 end`,
        // In microseconds: the matched row's event timestamp decoded from its key.
        withinTtl: (seconds: number) => sql`${matched} // ${int(slots)} * ${int(step)} + ${int(tMin)} >= epoch_us(${probeTs}) - ${ttlMicros(seconds)}`,
      }
    }
  }
}

/**
 * DuckDB: one `ASOF LEFT JOIN` per view on the view's AsofKey (see there): the latest event
 * timestamp wins, then the latest created one. ASOF keeps exactly one row per entity row; the
 * ttl lower bound is applied to the row it found (an older row would be older still). A view
 * read with `filter_by_created_timestamp` has a per-row condition ASOF cannot express and takes
 * the LATERAL form instead. Entity rows that can be scanned twice (a file, a DuckDB table) get
 * their input order back by sorting only row numbers and features, joined by position to a
 * second scan of the rows; others (a user's query) sort whole output rows.
 *
 * ```sql
 * with __asof_entities as (select "driver_id" as "driver_id", …, row_number() over () as "__asof_row" from read_parquet($1) as entities),
 * "__asof_joined" as (select "e"."__asof_row", "__asof_v0"."__asof_f0" as "__asof_f0" from __asof_entities as "e"
 * asof left join (select "s"."driver_id" as "__asof_k0",
 *     (epoch_us(cast("s"."event_timestamp" as timestamptz)) - $1) // $2 * $3 + coalesce((epoch_us(cast("s"."created" as timestamptz)) - epoch_us(…) - $4) // $5 + 1, 0) as "__asof_key",
 *     "s"."conv_rate" as "__asof_f0" from read_parquet($6) as s where "s"."event_timestamp" is not null and "s"."driver_id" is not null) as "__asof_v0"
 *   on "__asof_v0"."__asof_k0" = "e"."driver_id"
 *   and case when "e"."event_timestamp" >= make_timestamp($7) then (epoch_us(least("e"."event_timestamp", make_timestamp($8))) - $9) // $10 * $11 + $12 else -1 end >= "__asof_v0"."__asof_key"
 * order by "e"."__asof_row")
 * select "__asof_rows"."driver_id" as "driver_id", …, "__asof_joined"."__asof_f0" as "conv_rate"
 * from read_parquet($13) as "__asof_rows" positional join "__asof_joined"
 * ```
 */
export function renderPitDuckDb(plan: RetrievalPlan, entities: EntityInput, target: PitTarget, keys: readonly AsofKey[]): RawBuilder<unknown> {
  const { sourceFrom } = target
  const exprs = plan.views.map((v, i) => keyExpressions(v, keys[i]!, entityTs(plan), sql`${sql.id(viewAlias(i))}.${sql.id(KEY)}`))
  const joins = plan.views.map((v, i) =>
    v.filterByCreated ? lateralJoin(plan, v, i, sourceFrom(v), ttlLowerBound) : asofJoin(v, i, sourceFrom(v), exprs[i]!))
  const feature = (v: PlannedView, i: number, j: number) => {
    if (v.filterByCreated || v.ttlSeconds <= 0) return joinedFeature(i, j)
    return sql`case when ${exprs[i]!.withinTtl(v.ttlSeconds)} then ${joinedFeature(i, j)} end`
  }
  const joined = sql`from __asof_entities as ${E} ${sql.join(joins, sql` `)}
order by ${E}.${sql.id(ROW)}`
  if (!entities.rescannable) return sql`${entitiesCte(plan, entities)}
select ${outputList(plan, target, feature)}
${joined}`
  // Only the row numbers and features are sorted back into input order; the entity columns come
  // from a second scan in input order, joined by position (the ORDER BY of whole rows cost ~10%).
  const features = featureColumns(plan, target, feature)
  const [rows, out] = [sql.id('__asof_rows'), sql.id('__asof_joined')]
  const outputs = [
    ...plan.entityColumns.map((c) => entityColumn(plan, c.name, sql`${rows}.${sql.id(c.name)}`)),
    ...features.map((f, n) => sql`${out}.${sql.id(featureAlias(n))} as ${sql.id(f.output)}`),
  ]
  return sql`${entitiesCte(plan, entities)},
${out} as (select ${sql.join([sql`${E}.${sql.id(ROW)}`, ...features.map((f, n) => sql`${f.value} as ${sql.id(featureAlias(n))}`)])}
${joined})
select ${sql.join(outputs)} from ${entities.from} as ${rows} positional join ${out}`
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
