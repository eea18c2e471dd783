import { Errors } from '../../core/index.js'
import { sql, col, type Column, type Engine, type RawBuilder, type ColumnType, type Relation } from '../../engines/index.js'

/**
 * Distribution drift between a reference batch and a current batch, with the statistical tests
 * and default choices of Evidently's data-drift preset:
 *
 * - reference ≤ 1000 rows: two-sample Kolmogorov–Smirnov (drift when p < 0.05) for numeric columns
 *   with more than 5 distinct values, chi-square (p < 0.05) otherwise;
 * - larger references: Wasserstein distance normalized by the reference's standard deviation
 *   (drift when ≥ 0.1) for numeric columns with more than 5 distinct values, Jensen–Shannon distance
 *   (≥ 0.1) otherwise;
 * - on request: PSI (≥ 0.1) and L-infinity (≥ 0.1), and any test per column;
 * - the dataset drifts when the share of drifted columns is ≥ `drift_share` (0.5).
 *
 * Evidently picks a z-test for binary categorical columns; asof uses chi-square there, as the issue
 * specifies. The distributions come from one `GROUP BY value` query per column and batch, so the work
 * in JavaScript is proportional to the number of distinct values, not rows.
 */
export type DriftTest = 'ks' | 'chisquare' | 'wasserstein' | 'jensenshannon' | 'psi' | 'linf'
export const DRIFT_TESTS: readonly DriftTest[] = ['ks', 'chisquare', 'wasserstein', 'jensenshannon', 'psi', 'linf']

/** Default thresholds: p-value tests drift below theirs, distance tests at or above. */
export const DEFAULT_DRIFT_THRESHOLDS: Record<DriftTest, number> = {
  ks: 0.05, chisquare: 0.05, wasserstein: 0.1, jensenshannon: 0.1, psi: 0.1, linf: 0.1,
}
const P_VALUE_TESTS: ReadonlySet<DriftTest> = new Set(['ks', 'chisquare'])

/** Non-null values of one column with their counts; numeric values are numbers, others strings. */
export interface Distribution {
  readonly numeric: boolean
  /** Sorted ascending (numbers) or by string. */
  readonly values: readonly (number | string)[]
  readonly counts: readonly number[]
  /** Total of `counts`: the non-null row count. */
  readonly total: number
}

const NUMERIC_TYPES: ReadonlySet<ColumnType> = new Set(['int32', 'int64', 'float32', 'float64', 'decimal'])

export function isNumericType(type: ColumnType): boolean {
  return NUMERIC_TYPES.has(type)
}

/**
 * Reads the distribution of `column` in `from` (a FROM-able relation or subquery): one aggregate
 * query, `select "c" as v, count(*) as n from <from> as t where "c" is not null group by 1`.
 */
export async function readDistribution(engine: Engine, from: RawBuilder<unknown>, column: string, numeric: boolean): Promise<Distribution> {
  const value = numeric ? sql`cast(${col(column)} as double precision)` : sql`cast(${col(column)} as text)`
  const rows = await engine.query<{ v: number | string; n: number | bigint | string }>(
    sql`select ${value} as v, count(*) as n from ${from} as t where ${col(column)} is not null group by 1`)
  return distributionOf(rows.map((r) => [numeric ? Number(r.v) : String(r.v), Number(r.n)]), numeric)
}

/** Builds a distribution from (value, count) pairs. */
export function distributionOf(pairs: readonly (readonly [number | string, number])[], numeric: boolean): Distribution {
  const sorted = [...pairs].sort((a, b) => (numeric ? (a[0] as number) - (b[0] as number) : String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0))
  return {
    numeric,
    values: sorted.map((p) => p[0]),
    counts: sorted.map((p) => p[1]),
    total: sorted.reduce((s, p) => s + p[1], 0),
  }
}

/** Builds a distribution from raw values (nulls dropped); used by tests and small in-memory batches. */
export function distributionFromValues(values: readonly (number | string | null)[], numeric: boolean): Distribution {
  const counts = new Map<number | string, number>()
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1)
  return distributionOf([...counts.entries()], numeric)
}

/** Evidently's default test for a column (see the module comment). */
export function defaultDriftTest(reference: Distribution, current: Distribution): DriftTest {
  const distinct = new Set([...reference.values, ...current.values]).size
  const numericWithSpread = reference.numeric && distinct > 5
  if (reference.total <= 1000) return numericWithSpread ? 'ks' : 'chisquare'
  return numericWithSpread ? 'wasserstein' : 'jensenshannon'
}

export interface ColumnDrift {
  readonly column: string
  readonly test: DriftTest
  /** The p-value (ks, chisquare) or the distance (the others). */
  readonly score: number
  readonly threshold: number
  readonly drifted: boolean
}

/** Runs `test` (default: Evidently's choice) on two distributions of one column. */
export function columnDrift(column: string, reference: Distribution, current: Distribution, test?: DriftTest, threshold?: number): ColumnDrift {
  const t = test ?? defaultDriftTest(reference, current)
  const limit = threshold ?? DEFAULT_DRIFT_THRESHOLDS[t]
  const score = DRIFT_STATISTICS[t](reference, current)
  const drifted = P_VALUE_TESTS.has(t) ? score < limit : score >= limit
  return { column, test: t, score, threshold: limit, drifted }
}

/** One side of a drift comparison: a relation on its engine, with its columns. */
export interface DriftSide {
  readonly engine: Engine
  readonly from: RawBuilder<unknown>
  readonly columns: readonly Column[]
  /** How a message names this side. */
  readonly label: string
}

/** A whole relation as a drift side, its columns described. */
export async function relationSide(engine: Engine, relation: Relation, label: string): Promise<DriftSide> {
  return { engine, from: engine.from(relation), columns: await engine.describe(relation), label }
}

/** How one column is tested: a test and threshold, or Evidently's defaults when absent. */
export type DriftTestChoice = (column: string) => { test?: DriftTest; threshold?: number }

/**
 * Per-column drift of `current` against `reference` (the sides may be on different engines):
 * `columns`, or every column of `current` that `reference` has too, each read as one distribution
 * per side (a GROUP BY each). A named column missing on either side is a bad input on `field`.
 */
export async function compareColumns(
  reference: DriftSide, current: DriftSide, columns: readonly string[] | undefined, testOf: DriftTestChoice, field: string,
): Promise<{ drifts: ColumnDrift[]; distributions: Record<string, readonly [Distribution, Distribution]> }> {
  const names = columns ?? current.columns.map((c) => c.name).filter((n) => reference.columns.some((c) => c.name === n))
  const drifts: ColumnDrift[] = []
  const distributions: Record<string, readonly [Distribution, Distribution]> = {}
  for (const name of names) {
    const [r, c] = [reference.columns.find((x) => x.name === name), current.columns.find((x) => x.name === name)]
    if (!r || !c) throw Errors.badInput(field, `column ${JSON.stringify(name)} is not in both ${current.label} and ${reference.label}`)
    const numeric = isNumericType(r.type) && isNumericType(c.type)
    const pair = [await readDistribution(reference.engine, reference.from, name, numeric), await readDistribution(current.engine, current.from, name, numeric)] as const
    distributions[name] = pair
    const { test, threshold } = testOf(name)
    drifts.push(columnDrift(name, pair[0], pair[1], test, threshold))
  }
  return { drifts, distributions }
}

export interface DatasetDrift {
  readonly columns: readonly ColumnDrift[]
  readonly driftedColumns: number
  readonly share: number
  readonly driftShare: number
  readonly drifted: boolean
}

/** The dataset drifts when the share of drifted columns is at least `driftShare` (Evidently: 0.5). */
export function datasetDrift(columns: readonly ColumnDrift[], driftShare = 0.5): DatasetDrift {
  const driftedColumns = columns.filter((c) => c.drifted).length
  const share = columns.length ? driftedColumns / columns.length : 0
  return { columns, driftedColumns, share, driftShare, drifted: columns.length > 0 && share >= driftShare }
}

const DRIFT_STATISTICS: Record<DriftTest, (reference: Distribution, current: Distribution) => number> = {
  ks: ksPValue,
  chisquare: chiSquarePValue,
  wasserstein: normalizedWasserstein,
  jensenshannon: (r, c) => { const [p, q] = binnedShares(r, c); return jensenShannonDistance(p, q) },
  psi: (r, c) => { const [p, q] = binnedShares(r, c); return psi(p, q) },
  linf: (r, c) => { const [p, q] = categoryShares(r, c, 0); return Math.max(0, ...p.map((x, i) => Math.abs(x - q[i]!))) },
}

/** The union of both distributions' values, with each one's counts aligned to it. */
function alignedCounts(a: Distribution, b: Distribution): { values: (number | string)[]; a: number[]; b: number[] } {
  const index = new Map<number | string, number>()
  const values: (number | string)[] = []
  for (const v of [...a.values, ...b.values]) if (!index.has(v)) { index.set(v, values.length); values.push(v) }
  const countsOf = (d: Distribution) => {
    const out = new Array<number>(values.length).fill(0)
    d.values.forEach((v, i) => { out[index.get(v)!] = d.counts[i]! })
    return out
  }
  return { values, a: countsOf(a), b: countsOf(b) }
}

/** Two-sample Kolmogorov–Smirnov: the largest gap between the empirical CDFs, and its two-sided p-value. */
export function ksStatistic(reference: Distribution, current: Distribution): number {
  const { values, a, b } = alignedCounts(reference, current)
  const order = values.map((_, i) => i).sort((i, j) => (values[i] as number) - (values[j] as number))
  let fa = 0, fb = 0, d = 0
  for (const i of order) {
    fa += a[i]! / reference.total
    fb += b[i]! / current.total
    d = Math.max(d, Math.abs(fa - fb))
  }
  return d
}

function ksPValue(reference: Distribution, current: Distribution): number {
  if (reference.total === 0 || current.total === 0) return 1
  const d = ksStatistic(reference, current)
  // scipy's asymptotic mode evaluates D at the effective size n·m/(n+m); the limiting Kolmogorov
  // distribution is within 0.001 of its exact kstwo there for the sizes that matter to a 0.05 decision.
  const en = Math.round((reference.total * current.total) / (reference.total + current.total))
  return kolmogorovSurvival(Math.sqrt(en) * d)
}

/** P(K > x) for the Kolmogorov distribution. */
function kolmogorovSurvival(x: number): number {
  if (x < 1e-3) return 1
  let sum = 0
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 ? 1 : -1) * Math.exp(-2 * k * k * x * x)
    sum += term
    if (Math.abs(term) < 1e-12) break
  }
  return Math.min(1, Math.max(0, sum))
}

/**
 * Chi-square goodness of fit of the current counts against the reference's shares scaled to the
 * current size (Evidently's chi_stat_test). A category absent from the reference gives p = 0.
 */
function chiSquarePValue(reference: Distribution, current: Distribution): number {
  const { a, b } = alignedCounts(reference, current)
  if (reference.total === 0 || current.total === 0) return 1
  const scale = current.total / reference.total
  let stat = 0
  for (let i = 0; i < a.length; i++) {
    const expected = a[i]! * scale
    if (expected === 0) { if (b[i]! > 0) return 0; continue }
    stat += (b[i]! - expected) ** 2 / expected
  }
  const dof = a.length - 1
  return dof <= 0 ? 1 : upperRegularizedGamma(dof / 2, stat / 2)
}

/** Q(s, x) = Γ(s, x) / Γ(s): a series below s + 1, a continued fraction above (Numerical Recipes). */
export function upperRegularizedGamma(s: number, x: number): number {
  if (x <= 0) return 1
  const lnGammaS = logGamma(s)
  if (x < s + 1) {
    let term = 1 / s, sum = term
    for (let n = 1; n < 1000; n++) {
      term *= x / (s + n)
      sum += term
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break
    }
    return Math.max(0, 1 - sum * Math.exp(-x + s * Math.log(x) - lnGammaS))
  }
  let b = x + 1 - s, c = 1 / 1e-300, d = 1 / b, h = d
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - s)
    b += 2
    d = an * d + b; if (Math.abs(d) < 1e-300) d = 1e-300
    c = b + an / c; if (Math.abs(c) < 1e-300) c = 1e-300
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < 1e-15) break
  }
  return Math.min(1, Math.exp(-x + s * Math.log(x) - lnGammaS) * h)
}

/** ln Γ(x), Lanczos approximation. */
function logGamma(x: number): number {
  const g = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5]
  let y = x
  const tmp = x + 5.5 - (x + 0.5) * Math.log(x + 5.5)
  let ser = 1.000000000190015
  for (const c of g) ser += c / ++y
  return -tmp + Math.log((2.5066282746310005 * ser) / x)
}

/** Wasserstein-1 distance between the two empirical distributions, divided by the reference's std (floor 0.001). */
function normalizedWasserstein(reference: Distribution, current: Distribution): number {
  if (reference.total === 0 || current.total === 0) return 0
  const { values, a, b } = alignedCounts(reference, current)
  const order = values.map((_, i) => i).sort((i, j) => (values[i] as number) - (values[j] as number))
  let fa = 0, fb = 0, distance = 0
  for (let k = 0; k < order.length - 1; k++) {
    const i = order[k]!
    fa += a[i]! / reference.total
    fb += b[i]! / current.total
    distance += Math.abs(fa - fb) * ((values[order[k + 1]!] as number) - (values[i] as number))
  }
  return distance / Math.max(standardDeviation(reference), 0.001)
}

/** Population standard deviation (numpy's default). */
function standardDeviation(d: Distribution): number {
  let mean = 0
  d.values.forEach((v, i) => { mean += (v as number) * d.counts[i]! })
  mean /= d.total
  let variance = 0
  d.values.forEach((v, i) => { variance += d.counts[i]! * ((v as number) - mean) ** 2 })
  return Math.sqrt(variance / d.total)
}

/**
 * Shares per bin, as Evidently's get_binned_data: numeric columns are cut into Sturges bins over both
 * batches' range, categorical ones per category; empty bins count as 0.0001 so logs stay finite.
 */
function binnedShares(reference: Distribution, current: Distribution): [number[], number[]] {
  if (!reference.numeric) return categoryShares(reference, current, 0.0001)
  const all = [...reference.values, ...current.values] as number[]
  const min = Math.min(...all), max = Math.max(...all)
  const bins = Math.ceil(Math.log2(reference.total + current.total)) + 1
  const width = (max - min) / bins
  const shares = (d: Distribution) => {
    const out = new Array<number>(bins).fill(0)
    d.values.forEach((v, i) => {
      const bin = width === 0 ? 0 : Math.min(bins - 1, Math.floor(((v as number) - min) / width))
      out[bin]! += d.counts[i]!
    })
    return out.map((n) => (n === 0 ? 0.0001 : n / d.total))
  }
  return [shares(reference), shares(current)]
}

function categoryShares(reference: Distribution, current: Distribution, emptyShare: number): [number[], number[]] {
  const { a, b } = alignedCounts(reference, current)
  const share = (counts: number[], total: number) => counts.map((n) => (n === 0 ? emptyShare : n / total))
  return [share(a, reference.total), share(b, current.total)]
}

/** scipy's jensenshannon (natural log): the square root of the JS divergence of two share vectors. */
function jensenShannonDistance(p: number[], q: number[]): number {
  const norm = (v: number[]) => { const s = v.reduce((x, y) => x + y, 0); return v.map((x) => x / s) }
  const pn = norm(p), qn = norm(q)
  const kl = (x: number[], m: number[]) => x.reduce((s, xi, i) => (xi > 0 ? s + xi * Math.log(xi / m[i]!) : s), 0)
  const m = pn.map((x, i) => (x + qn[i]!) / 2)
  return Math.sqrt(Math.max(0, (kl(pn, m) + kl(qn, m)) / 2))
}

/** Population stability index: Σ (ref − cur) · ln(ref / cur). */
function psi(reference: number[], current: number[]): number {
  return reference.reduce((s, r, i) => s + (r - current[i]!) * Math.log(r / current[i]!), 0)
}
