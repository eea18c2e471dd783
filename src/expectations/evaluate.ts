import { col, sql, type RawBuilder, type Row, type Value } from '../engines/index.js'
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

/** The columns a rows pass selects: the checked ones, then the index columns. */
function selectedColumns(spec: UnexpectedRows, format: ResultFormat): string[] {
  return [...new Set([...spec.columns, ...(format.unexpected_index_column_names ?? [])])]
}

function unexpectedSelect(scope: BatchScope, spec: UnexpectedRows, columns: RawBuilder<unknown>[]): RawBuilder<unknown> {
  return sql`select ${sql.join(columns)} from ${scopeFrom(scope, spec.derived ?? [])} where ${spec.where}`
}

function limitFor(select: RawBuilder<unknown>, format: ResultFormat): RawBuilder<unknown> {
  return format.result_format === 'COMPLETE' ? select : sql`${select} limit ${sql.lit(format.partial_unexpected_count)}`
}

/**
 * The rows pass: selects the unexpected rows (at most `partial_unexpected_count` unless COMPLETE,
 * which lists every failing key) with the checked columns and `unexpected_index_column_names`.
 */
export async function readUnexpectedRows(scope: BatchScope, spec: UnexpectedRows, format: ResultFormat): Promise<UnexpectedSample> {
  const select = unexpectedSelect(scope, spec, selectedColumns(spec, format).map((n) => col(n)))
  const rows = await scope.engine.query<Row>(limitFor(select, format))
  return { rows, query: displaySql(select.compile(scope.engine.db)) }
}

interface PendingRead {
  readonly spec: UnexpectedRows
  readonly format: ResultFormat
  resolve(sample: UnexpectedSample): void
  reject(e: unknown): void
}

/**
 * The rows passes of one scope in one statement: the reads requested in the same tick (every
 * failing map expectation of a suite asks at once) become a UNION ALL with one branch per
 * expectation, each with its own LIMIT and tagged by its index. Each branch fills its own column
 * slots and types the others' as NULLs of their columns (`case when false then "c" end`), so no
 * types are unified across expectations. If the statement fails, each read runs alone, so only an
 * expectation whose query is bad reports the error.
 */
export function unexpectedRowsReader(scope: BatchScope): (spec: UnexpectedRows, format: ResultFormat) => Promise<UnexpectedSample> {
  let queue: PendingRead[] = []
  const alone = (r: PendingRead) => readUnexpectedRows(scope, r.spec, r.format).then(r.resolve, r.reject)
  const flush = async () => {
    const reads = queue
    queue = []
    if (reads.length === 1) return alone(reads[0]!)
    const slots = reads.map((r) => selectedColumns(r.spec, r.format))
    const all = slots.flatMap((names, i) => names.map((name, j) => ({ name, alias: `__asof_${i}_${j}`, owner: i })))
    const branches = reads.map((r, i) => {
      const columns = all.map((c) => sql`${c.owner === i ? col(c.name) : sql`case when false then ${col(c.name)} end`} as ${sql.id(c.alias)}`)
      return sql`(${limitFor(unexpectedSelect(scope, r.spec, [sql`${sql.lit(i)} as __asof_read`, ...columns]), r.format)})`
    })
    let rows: Row[]
    try {
      rows = await scope.engine.query<Row>(sql.join(branches, sql` union all `))
    } catch {
      await Promise.all(reads.map(alone))
      return
    }
    reads.forEach((r, i) => {
      const mine = all.filter((c) => c.owner === i)
      const own = rows.filter((row) => Number(row.__asof_read) === i)
        .map((row) => Object.fromEntries(mine.map((c) => [c.name, row[c.alias] as Value])))
      r.resolve({ rows: own, query: displaySql(unexpectedSelect(scope, r.spec, slots[i]!.map((n) => col(n))).compile(scope.engine.db)) })
    })
  }
  return (spec, format) => new Promise((resolve, reject) => {
    if (queue.length === 0) queueMicrotask(() => void flush())
    queue.push({ spec, format, resolve, reject })
  })
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
