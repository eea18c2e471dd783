import { sql, col, type Column, type Engine, type Relation, type ColumnType } from '../engines/index.js'
import { isNumericType } from './metrics/drift.js'
import { typeNameOf } from './type-aliases.js'

/**
 * Proposes an expectation suite (GX 1.x JSON) from a sample of data, as GX's onboarding profiler
 * does: the column list, each column's type, null fraction (with `mostly`), range, small value sets
 * and uniqueness. Statistics come from one aggregate scan, plus one `GROUP BY` per column with few
 * distinct values. Bounds are the observed ones, so validating the profiled data passes.
 */

export interface ProfileOptions {
  readonly suiteName: string
  /** Columns with at most this many distinct values get `expect_column_values_to_be_in_set`. */
  readonly maxSetSize?: number
  /** The profiling time recorded in the suite's meta (ISO-8601); the clock's when omitted. */
  readonly now?: string
}

/** An expectation as GX 1.x writes it. */
export interface ProposedExpectation {
  readonly type: string
  readonly kwargs: Record<string, unknown>
  readonly meta: Record<string, unknown>
}

/** A GX 1.x suite document. */
export interface ProposedSuite {
  readonly name: string
  readonly expectations: ProposedExpectation[]
  readonly suite_parameters: Record<string, never>
  readonly meta: Record<string, unknown>
}

interface ColumnStats {
  readonly column: Column
  readonly nonNull: number
  readonly distinct: number
  readonly min: unknown
  readonly max: unknown
}

const RANGED_TYPES: ReadonlySet<ColumnType> = new Set(['int32', 'int64', 'float32', 'float64', 'decimal', 'timestamp', 'date'])
const SET_TYPES: ReadonlySet<ColumnType> = new Set(['bool', 'int32', 'int64', 'string'])

/** Profiles `relation` and proposes a suite. */
export async function profileBatch(engine: Engine, relation: Relation, options: ProfileOptions): Promise<ProposedSuite> {
  const columns = await engine.describe(relation)
  const { rows, stats } = await readStats(engine, relation, columns)
  const maxSetSize = options.maxSetSize ?? 10
  const expectations: ProposedExpectation[] = [
    expectation('expect_table_columns_to_match_ordered_list', { column_list: columns.map((c) => c.name) }),
    expectation('expect_table_row_count_to_be_between', { min_value: rows > 0 ? 1 : 0, max_value: null }, { profiled_rows: rows }),
  ]
  for (const s of stats) {
    const column = s.column.name
    expectations.push(expectation('expect_column_values_to_be_of_type', { column, type_: typeNameOf(s.column, engine.kind) }))
    if (rows > 0) {
      // `mostly` is rounded down to two decimals so the profiled data itself passes.
      const mostly = Math.floor((s.nonNull / rows) * 100) / 100
      if (s.nonNull === rows) expectations.push(expectation('expect_column_values_to_not_be_null', { column }))
      else if (mostly > 0) expectations.push(expectation('expect_column_values_to_not_be_null', { column, mostly }, { observed_null_fraction: 1 - s.nonNull / rows }))
    }
    if (s.nonNull === 0) continue
    if (RANGED_TYPES.has(s.column.type)) {
      expectations.push(expectation('expect_column_values_to_be_between', { column, min_value: s.min, max_value: s.max }))
    }
    if (SET_TYPES.has(s.column.type) && s.distinct <= maxSetSize && s.distinct < s.nonNull) {
      expectations.push(expectation('expect_column_values_to_be_in_set', { column, value_set: await readValueSet(engine, relation, column) }))
    }
    if (s.distinct === s.nonNull && s.nonNull > 1 && s.column.type !== 'float32' && s.column.type !== 'float64') {
      expectations.push(expectation('expect_column_values_to_be_unique', { column }))
    }
  }
  return {
    name: options.suiteName,
    expectations,
    suite_parameters: {},
    meta: { profiler: 'asof suite profile', profiled_rows: rows, profiled_at: options.now ?? new Date().toISOString() },
  }
}

function expectation(type: string, kwargs: Record<string, unknown>, meta: Record<string, unknown> = {}): ProposedExpectation {
  return { type, kwargs, meta }
}

/**
 * One scan: `count(*)`, and per column `count(c)`, `count(distinct c)` and, for ordered types,
 * `min(c)`, `max(c)`, aliased by position so any column name is safe.
 */
async function readStats(engine: Engine, relation: Relation, columns: readonly Column[]): Promise<{ rows: number; stats: ColumnStats[] }> {
  const selections = [sql`count(*) as n`]
  columns.forEach((c, i) => {
    selections.push(sql`count(${col(c.name)}) as ${sql.id(`nn${i}`)}`, sql`count(distinct ${col(c.name)}) as ${sql.id(`d${i}`)}`)
    if (RANGED_TYPES.has(c.type)) selections.push(sql`min(${col(c.name)}) as ${sql.id(`lo${i}`)}`, sql`max(${col(c.name)}) as ${sql.id(`hi${i}`)}`)
  })
  const [row] = await engine.query<Record<string, unknown>>(sql`select ${sql.join(selections)} from ${engine.from(relation)} as t`)
  const r = row ?? {}
  return {
    rows: Number(r.n ?? 0),
    stats: columns.map((c, i) => ({
      column: c,
      nonNull: Number(r[`nn${i}`] ?? 0),
      distinct: Number(r[`d${i}`] ?? 0),
      min: jsonable(r[`lo${i}`], c.type),
      max: jsonable(r[`hi${i}`], c.type),
    })),
  }
}

/** Bounds as JSON carries them: numbers as numbers (decimals and bigints too), timestamps as ISO strings. */
function jsonable(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null
  if (isNumericType(type)) return Number(value)
  return value
}

async function readValueSet(engine: Engine, relation: Relation, column: string): Promise<unknown[]> {
  const rows = await engine.query<{ v: unknown }>(sql`select distinct ${col(column)} as v from ${engine.from(relation)} as t where ${col(column)} is not null order by 1`)
  return rows.map((r) => (typeof r.v === 'bigint' ? Number(r.v) : r.v))
}
