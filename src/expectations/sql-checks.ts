import { z } from 'zod'
import { Errors } from '../core/index.js'
import { sql, type RawBuilder, type Row, type Value } from '../engines/index.js'
import type { BatchScope, QueryMetric } from './metrics/metric.js'

/**
 * The SQL checks in the manner of Airflow's check operators, and the history-based checks built on
 * the same queries. A check's SQL is the suite author's own SELECT, run as written — the same trust
 * as `validate --sql` or a source query (GX's `unexpected_rows_query` is the same): whoever may
 * edit the suite may run read queries on the engine. `{batch}` in the text names the batch being
 * validated (after its row condition), provided as a common table expression:
 *
 * ```sql
 * with "asof_batch" as (select * from <batch> as b) select * from (<the query, {batch} → asof_batch>) as q
 * ```
 */
export const BATCH_PLACEHOLDER = '{batch}'
const BATCH_CTE = 'asof_batch'

/** A user's query over the batch, as one statement. */
export function queryOverBatch(scope: BatchScope, text: string): RawBuilder<unknown> {
  if (!text.trim()) throw Errors.badInput('query', 'expected a SELECT statement')
  const userSql = scope.engine.from({ kind: 'user_sql', text: text.split(BATCH_PLACEHOLDER).join(BATCH_CTE) })
  return sql`with ${sql.id(BATCH_CTE)} as (select * from ${scope.from} as b) select * from ${userSql} as q`
}

/** A query metric returning a user query's rows (at most `limit`). */
export function userQueryMetric(name: string, text: string, limit: number): QueryMetric {
  return {
    shape: 'query', name, args: { query: text },
    run: async (scope) => (await scope.engine.query<Row>(sql`${queryOverBatch(scope, text)} limit ${limit}`)),
  }
}

/**
 * A query metric computing one aggregate SQL expression (`count(*)`, `avg(fare)`) over the batch.
 * Its identity — name `query.aggregate`, args `{"expression": …}` — is what the metric history
 * records, so later runs find it. The expression is the author's SQL (see above).
 */
export function aggregateExpressionMetric(expression: string): QueryMetric {
  return {
    shape: 'query', name: AGGREGATE_HISTORY_METRIC, args: { expression },
    run: async (scope) => {
      const [row] = await scope.engine.query<Row>(queryOverBatch(scope, `select ${expression} as m from ${BATCH_PLACEHOLDER}`))
      return toNumber(row?.m ?? null)
    },
  }
}

export const AGGREGATE_HISTORY_METRIC = 'query.aggregate'

/** A SQL value as a number (bigint, decimal strings); null when it is not one. */
export function toNumber(v: Value): number | null {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  if (typeof v === 'boolean') return v ? 1 : 0
  return null
}

/** Python's truthiness, as Airflow's SQLCheckOperator applies it to each value of the row. */
export function truthy(v: Value): boolean {
  if (v === null || v === false || v === '' || v === 0 || v === 0n) return false
  if (Array.isArray(v)) return v.length > 0
  return true
}

/**
 * History supplied to a history-based check: for each aggregate expression, earlier values, newest
 * first. The checkpoint fills this from the metric store (see checkpoint.ts); a suite may also give it
 * inline (`history: {"count(*)": [{"value": 100, "run_time": "2024-01-01T00:00:00Z"}]}`).
 */
export const suppliedHistorySchema = z.record(z.string(), z.array(z.object({ value: z.number(), run_time: z.string() })))
export type SuppliedHistory = z.infer<typeof suppliedHistorySchema>
