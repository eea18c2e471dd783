import { Errors, hashValue } from '../../core/index.js'
import { sql, type ColumnType, type RawBuilder } from '../../engines/index.js'
import type { DerivedColumn, MetricContext } from './metric.js'

const NUMERIC: ReadonlySet<ColumnType> = new Set(['int32', 'int64', 'float32', 'float64', 'decimal'])
const TEMPORAL: ReadonlySet<ColumnType> = new Set(['timestamp', 'date'])

/** The logical type of a batch column (undefined when the batch does not have it). */
export function columnType(column: string, ctx: MetricContext): ColumnType | undefined {
  return ctx.columns.find((c) => c.name === column)?.type
}

export function isNumericColumn(column: string, ctx: MetricContext): boolean {
  const t = columnType(column, ctx)
  return t !== undefined && NUMERIC.has(t)
}

/**
 * A bound compared with a column, as a bound parameter of the column's kind: numbers for numeric
 * columns (a bound written as "5" is read as 5), a timestamp cast for temporal ones ("2020-01-01",
 * `now()` parameters), text otherwise. A bound that cannot be compared is a bad kwarg.
 */
export function boundLiteral(column: string, value: number | string, ctx: MetricContext): RawBuilder<unknown> {
  const t = columnType(column, ctx)
  if (t && NUMERIC.has(t)) {
    const n = typeof value === 'number' ? value : Number(value)
    if (typeof value === 'string' && (value.trim() === '' || Number.isNaN(n))) {
      throw Errors.badInput('kwargs', `bound ${JSON.stringify(value)} is not a number, but column ${JSON.stringify(column)} is numeric`)
    }
    return sql`${n}`
  }
  if (t && TEMPORAL.has(t)) {
    if (typeof value === 'number') throw Errors.badInput('kwargs', `bound ${value} is a number, but column ${JSON.stringify(column)} holds ${t}s`)
    const instant = parseDateString(value) ?? value
    return t === 'date' ? sql`cast(${instant.slice(0, 10)} as date)` : sql`cast(${instant} as timestamptz)`
  }
  return typeof value === 'number' ? sql`${value}` : sql`${value}`
}

/**
 * A column as text, for string conditions on columns of any type (GX's SQL casts the same way).
 * A text column is used as it is: the no-op cast measured 1.6× slower for a regex on DuckDB.
 */
export function asText(column: string, ctx: MetricContext): RawBuilder<unknown> {
  return columnType(column, ctx) === 'string' ? sql`${sql.id(column)}` : sql`cast(${sql.id(column)} as text)`
}

/** `value ~ pattern`: DuckDB's `regexp_matches` (partial match, RE2), PostgreSQL's `~` (POSIX). */
export function regexMatches(value: RawBuilder<unknown>, pattern: string, ctx: MetricContext): RawBuilder<unknown> {
  return ctx.engine === 'duckdb' ? sql`regexp_matches(${value}, ${pattern})` : sql`(${value} ~ ${pattern})`
}

/**
 * A value-set element compared with a column, or undefined when it can never equal a value of the
 * column (a word in a numeric column): GX then simply finds no match.
 */
export function setLiteral(column: string, value: unknown, ctx: MetricContext): RawBuilder<unknown> | undefined {
  if (value === null || value === undefined) return undefined
  if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') return undefined
  if (typeof value === 'boolean') return sql`${value}`
  try {
    return boundLiteral(column, value, ctx)
  } catch {
    return undefined
  }
}

/** `"c" in (…)` over the comparable members of a value set; false for an empty set. */
export function inSet(column: string, values: readonly unknown[], ctx: MetricContext): RawBuilder<unknown> {
  const items = values.map((v) => setLiteral(column, v, ctx)).filter((v): v is RawBuilder<unknown> => v !== undefined)
  return items.length ? sql`${sql.id(column)} in (${sql.join(items)})` : sql`false`
}

/**
 * The previous non-null value of a column in the batch's read order, as a window column:
 * `last_value("c" ignore nulls) over (rows between unbounded preceding and 1 preceding)`.
 */
export function previousValue(column: string): DerivedColumn {
  return {
    alias: `__asof_prev_${hashValue(column).slice(0, 12)}`,
    sql: (ctx) => ctx.engine === 'duckdb'
      ? sql`last_value(${sql.id(column)} ignore nulls) over (rows between unbounded preceding and 1 preceding)`
      // PostgreSQL has no IGNORE NULLS: compare with the previous row; after a null row there is
      // nothing to compare with, so that row is not judged (DuckDB compares with the last non-null).
      : sql`lag(${sql.id(column)}) over ()`,
  }
}

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 }
const TIME_PART = '(?:[T ](\\d{1,2}):(\\d{2})(?::(\\d{2})(\\.\\d+)?)?)?\\s*(Z|UTC|[+-]\\d{2}:?\\d{2})?'
const DATE_FORMS: { re: RegExp; ymd: (m: RegExpMatchArray) => [number, number, number] }[] = [
  { re: new RegExp(`^(\\d{4})-(\\d{1,2})-(\\d{1,2})${TIME_PART}$`, 'i'), ymd: (m) => [+m[1]!, +m[2]!, +m[3]!] },
  { re: new RegExp(`^([A-Za-z]{3})[a-z]*\\.? (\\d{1,2}),? (\\d{4})${TIME_PART}$`, 'i'), ymd: (m) => [+m[3]!, MONTHS[m[1]!.toLowerCase()] ?? NaN, +m[2]!] },
  // dateutil reads 1/2/2016 month first
  { re: new RegExp(`^(\\d{1,2})/(\\d{1,2})/(\\d{4})${TIME_PART}$`, 'i'), ymd: (m) => [+m[3]!, +m[1]!, +m[2]!] },
]

/**
 * A date/time string as GX suites write bounds ("2001-02-01 12:00:01.001234 -1230",
 * "Jan 01 2001 12:00:00", "1/2/2016") → ISO-8601 UTC with microseconds; undefined if unrecognized.
 * A value without an offset is UTC, as everywhere in asof.
 */
export function parseDateString(value: string): string | undefined {
  for (const form of DATE_FORMS) {
    const m = value.trim().match(form.re)
    if (!m) continue
    const [y, mo, d] = form.ymd(m)
    const n = m.length
    const [hh, mm, ss, frac, zone] = [m[n - 5], m[n - 4], m[n - 3], m[n - 2], m[n - 1]]
    let offsetMinutes = 0
    if (zone && !/^(z|utc)$/i.test(zone)) {
      const z = zone.replace(':', '')
      offsetMinutes = (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)))
    }
    const millis = Date.UTC(y, mo - 1, d, Number(hh ?? 0), Number(mm ?? 0) - offsetMinutes, Number(ss ?? 0))
    if (Number.isNaN(millis)) return undefined
    const micros = (frac ?? '.').slice(1).padEnd(6, '0').slice(0, 6)
    return `${new Date(millis).toISOString().slice(0, 19)}.${micros}Z`
  }
  return undefined
}
