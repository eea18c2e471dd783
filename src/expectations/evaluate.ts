import { col, sql, type Row, type Value } from '../engines/index.js'
import type { UnexpectedRows } from './define.js'
import { scopeFrom } from './compiler.js'
import type { BatchScope } from './metrics/metric.js'
import type { ResultFormat } from './formats/result-format.js'

/** Keys GX returns for a map expectation at BASIC and above (the rest are SUMMARY/COMPLETE only). */
const MAP_COUNT_KEYS = [
  'element_count', 'unexpected_count', 'unexpected_percent', 'missing_count', 'missing_percent',
  'unexpected_percent_total', 'unexpected_percent_nonmissing',
] as const

/** The unexpected rows read for a map expectation: checked values plus the index columns. */
export interface UnexpectedSample {
  readonly rows: readonly Row[]
  /** The runnable SQL selecting every unexpected row (literals inlined, for people). */
  readonly query: string
}

/** Whether a result format needs the rows pass for a failing map expectation. */
export function needsUnexpectedRows(format: ResultFormat): boolean {
  return format.result_format !== 'BOOLEAN_ONLY'
}

/**
 * The rows pass: selects the unexpected rows (at most `partial_unexpected_count` unless COMPLETE,
 * which lists every failing key) with the checked columns and `unexpected_index_column_names`.
 */
export async function readUnexpectedRows(scope: BatchScope, spec: UnexpectedRows, format: ResultFormat): Promise<UnexpectedSample> {
  const names = [...new Set([...spec.columns, ...(format.unexpected_index_column_names ?? [])])]
  const select = sql`select ${sql.join(names.map((n) => col(n)))} from ${scopeFrom(scope, spec.derived ?? [])} where ${spec.where}`
  const limited = format.result_format === 'COMPLETE' ? select : sql`${select} limit ${sql.lit(format.partial_unexpected_count)}`
  const rows = await scope.engine.query<Row>(limited)
  return { rows, query: displaySql(select.compile(scope.engine.db)) }
}

/**
 * Shapes a map expectation's result for the format, with GX's keys: counts and percentages (BASIC),
 * `partial_unexpected_list`, `partial_unexpected_counts` and `partial_unexpected_index_list` (SUMMARY),
 * `unexpected_list`, `unexpected_index_list` and `unexpected_index_query` (COMPLETE).
 */
export function shapeMapResult(result: Record<string, unknown>, spec: UnexpectedRows, format: ResultFormat, sample?: UnexpectedSample): Record<string, unknown> {
  if (format.result_format === 'BOOLEAN_ONLY') return {}
  const out: Record<string, unknown> = {}
  for (const k of MAP_COUNT_KEYS) out[k] = result[k]
  const rows = sample?.rows ?? []
  const values = rows.map((r) => unexpectedValue(r, spec))
  const indexColumns = format.unexpected_index_column_names
  const indexList = indexColumns ? rows.map((r) => pick(r, [...spec.columns, ...indexColumns])) : undefined
  out.partial_unexpected_list = values.slice(0, format.partial_unexpected_count)
  if (format.result_format === 'BASIC') return out
  out.partial_unexpected_counts = valueCounts(values.slice(0, format.partial_unexpected_count))
  if (indexList) out.partial_unexpected_index_list = indexList.slice(0, format.partial_unexpected_count)
  if (format.result_format === 'SUMMARY') return out
  out.unexpected_list = values
  if (indexList) {
    out.unexpected_index_list = indexList
    out.unexpected_index_column_names = indexColumns
  }
  if (format.return_unexpected_index_query && sample) out.unexpected_index_query = sample.query
  return out
}

/** Shapes an aggregate (non-map) expectation's result: everything but BOOLEAN_ONLY shows it all. */
export function shapeAggregateResult(result: Record<string, unknown>, format: ResultFormat): Record<string, unknown> {
  return format.result_format === 'BOOLEAN_ONLY' ? {} : result
}

/** GX's shapes: one column → the value; a pair → [a, b]; more → {column: value}. */
function unexpectedValue(row: Row, spec: UnexpectedRows): Value {
  if (spec.domain === 'column') return row[spec.columns[0]!] ?? null
  if (spec.domain === 'column_pair') return spec.columns.map((c) => row[c] ?? null)
  return pick(row, spec.columns)
}

function pick(row: Row, columns: readonly string[]): Record<string, Value> {
  return Object.fromEntries(columns.map((c) => [c, row[c] ?? null]))
}

/** `[{value, count}]`, most frequent first (GX's partial_unexpected_counts). */
export function valueCounts(values: readonly Value[]): { value: Value; count: number }[] {
  const counts = new Map<string, { value: Value; count: number }>()
  for (const v of values) {
    const key = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
    const entry = counts.get(key)
    if (entry) entry.count++
    else counts.set(key, { value: v, count: 1 })
  }
  return [...counts.values()].sort((a, b) => b.count - a.count)
}

/**
 * A compiled query as text a person can run: `$n` placeholders (outside quoted names and strings)
 * replaced by SQL literals. Only ever shown, never executed by asof — execution always binds.
 */
export function displaySql(compiled: { sql: string; parameters: readonly unknown[] }): string {
  return compiled.sql.replace(/("(?:[^"]|"")*"|'(?:[^']|'')*')|\$(\d+)/g, (match, quoted: string | undefined, n: string | undefined) =>
    quoted ? match : literal(compiled.parameters[Number(n) - 1]))
}

function literal(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`
  return `'${String(v instanceof Date ? v.toISOString() : v).replace(/'/g, "''")}'`
}
