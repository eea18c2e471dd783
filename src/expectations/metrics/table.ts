import { sql, type RawBuilder } from '../../engines/index.js'
import type { AggregateMetric, MetricContext, SchemaMetric } from './metric.js'

/** `count(*)`: the batch's row count (after the row condition). */
export function rowCount(): AggregateMetric {
  return { shape: 'aggregate', name: 'table.row_count', args: {}, sql: () => sql`count(*)`, normalize: Number }
}

/** `count(*) filter (where <condition>)`: rows meeting a condition. */
export function countWhere(name: string, args: Record<string, unknown>, condition: (ctx: MetricContext) => RawBuilder<unknown>): AggregateMetric {
  return { shape: 'aggregate', name, args, sql: (ctx) => sql`count(*) filter (where ${condition(ctx)})`, normalize: Number }
}

/** The batch's column names, in order. */
export function tableColumns(): SchemaMetric {
  return { shape: 'schema', name: 'table.columns', args: {}, read: (columns) => columns.map((c) => c.name) }
}
