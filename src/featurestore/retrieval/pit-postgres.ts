import { sql } from 'kysely'
import { E, ROW, entitiesCte, joinedFeature, lateralJoin, outputList, type PitRenderer } from './pit-sql.js'

/**
 * PostgreSQL: one `LEFT JOIN LATERAL (… ORDER BY ts DESC, created DESC NULLS LAST LIMIT 1)` per
 * view, which an index on (join keys…, event timestamp) turns into one index probe per entity row.
 *
 * ```sql
 * with __asof_entities as (select "driver_id", cast("event_timestamp" as timestamptz) as "event_timestamp", "__asof_row" from "t" as entities)
 * select "e"."driver_id", "e"."event_timestamp", "__asof_v0"."__asof_f0" as "conv_rate"
 * from __asof_entities as "e"
 * left join lateral (select "s"."conv_rate" as "__asof_f0" from "driver_stats" as s
 *   where "s"."event_timestamp" is not null and cast("s"."event_timestamp" as timestamptz) <= "e"."event_timestamp"
 *     and "s"."driver_id" = "e"."driver_id" and cast("s"."event_timestamp" as timestamptz) >= "e"."event_timestamp" - make_interval(secs => $1)
 *   order by cast("s"."event_timestamp" as timestamptz) desc, "s"."created" desc nulls last limit 1) as "__asof_v0" on true
 * order by "e"."__asof_row"
 * ```
 */
export const renderPitPostgres: PitRenderer = (plan, entities, target) => {
  const joins = plan.views.map((v, i) => lateralJoin(plan, v, i, target.sourceFrom(v), (ts, seconds) => sql`${ts} - make_interval(secs => ${seconds})`))
  return sql`${entitiesCte(plan, entities)}
select ${outputList(plan, target, (_v, i, j) => joinedFeature(i, j))}
from __asof_entities as ${E} ${sql.join(joins, sql` `)}
order by ${E}.${sql.id(ROW)}`
}
