import { z } from 'zod'
import { Errors } from '../../core/index.js'
import { col, sql, type RawBuilder } from '../../engines/index.js'
import { columnSchema, defineExpectation, extendedNumberSchema } from '../define.js'
import { columnNonNullCount, columnValueCounts, type ValueCount } from '../metrics/column-aggregate.js'
import type { MetricContext, MetricRequest } from '../metrics/metric.js'
import { countWhere } from '../metrics/table.js'
import { memberOf, sameValue } from './shared.js'

/**
 * KL divergence of the column's distribution from an expected `partition_object`, GX semantics:
 * categorical partitions (`values`, `weights`) compare value frequencies; continuous ones (`bins`,
 * `weights`, optional `tail_weights`) compare a histogram — one `count(*) filter (…)` per bin, in the
 * batch's single scan. `tail_weight_holdout` / `internal_weight_holdout` give unseen mass a weight;
 * an infinite divergence has observed_value null. Without a partition the column is compared with
 * its own distribution (GX profiles one), so only a threshold of null or ≥ 0 can be met.
 */
const kwargs = z.looseObject({
  column: columnSchema,
  partition_object: z.looseObject({
    bins: z.array(extendedNumberSchema).optional(),
    values: z.array(z.unknown()).optional(),
    weights: z.array(z.number()),
    tail_weights: z.array(z.number()).length(2).optional(),
  }).nullable().optional(),
  threshold: z.number().nullable().optional(),
  tail_weight_holdout: z.number().min(0).max(1).default(0),
  internal_weight_holdout: z.number().min(0).max(1).default(0),
  bucketize_data: z.boolean().default(true),
})
type Kwargs = z.output<typeof kwargs>

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0)

/** scipy.stats.entropy(pk, qk): both normalized, Σ p·ln(p/q), infinite where q = 0 < p. */
function entropy(pk: readonly number[], qk: readonly number[]): number {
  const sp = sum(pk), sq = sum(qk)
  let total = 0
  for (let i = 0; i < pk.length; i++) {
    const p = pk[i]! / sp, q = qk[i]! / sq
    if (p === 0) continue
    if (q === 0) return Infinity
    total += p * Math.log(p / q)
  }
  return total
}

function checkPartition(k: Kwargs): void {
  const po = k.partition_object
  if (!po) return
  const where = 'kwargs.partition_object'
  const total = sum(po.weights) + sum(po.tail_weights ?? [])
  if (Math.abs(total - 1) > 1e-6) throw Errors.badInput(where, `weights must sum to 1 (they sum to ${total})`)
  if (po.values) {
    if (po.values.length !== po.weights.length) throw Errors.badInput(where, 'values and weights must have the same length')
    if (k.internal_weight_holdout > 0) throw Errors.badInput('kwargs.internal_weight_holdout', 'cannot be used with a categorical partition')
    return
  }
  const bins = po.bins
  if (!bins || bins.length !== po.weights.length + 1) throw Errors.badInput(where, 'needs bins with one more entry than weights, or values')
  if (k.tail_weight_holdout !== 0 && po.tail_weights) throw Errors.badInput('kwargs.tail_weight_holdout', 'must be 0 when the partition has tail_weights')
  if ((bins[0] === -Infinity || bins.at(-1) === Infinity) && po.tail_weights) {
    throw Errors.badInput(where, 'a partition with an infinite endpoint cannot have tail_weights')
  }
  if (bins[0] === -Infinity && bins.at(-1) === Infinity && k.tail_weight_holdout > 0) {
    throw Errors.badInput('kwargs.tail_weight_holdout', 'cannot be used for a partition with both endpoints infinite')
  }
}

/** GX's SQL histogram bins: [b_i, b_i+1), the last one closed; an infinite edge is open. */
function binCondition(c: RawBuilder<unknown>, bins: readonly number[], i: number): RawBuilder<unknown> {
  const lo = bins[i]!, hi = bins[i + 1]!
  const last = i === bins.length - 2
  const parts: RawBuilder<unknown>[] = []
  if (lo !== -Infinity) parts.push(sql`${c} >= ${lo}`)
  if (hi !== Infinity) parts.push(last ? sql`${c} <= ${hi}` : sql`${c} < ${hi}`)
  return parts.length ? sql.join(parts, sql` and `) : sql`${c} is not null`
}

function metrics(k: Kwargs, ctx: MetricContext): Record<string, MetricRequest> {
  checkPartition(k)
  const nonNull = columnNonNullCount(k.column)
  const bins = k.partition_object?.bins
  if (!k.partition_object || !bins) return { nonNull, counts: columnValueCounts(k.column) }
  const c = col(k.column)
  const out: Record<string, MetricRequest> = { nonNull }
  for (let i = 0; i < bins.length - 1; i++) {
    out[`bin${i}`] = countWhere('column.histogram_bin', { column: k.column, bins: [bins[i], bins[i + 1]], closed: i === bins.length - 2 }, () => binCondition(c, bins, i))
  }
  if (bins[0] !== -Infinity) out.below = countWhere('column_values.below', { column: k.column, value: bins[0] }, () => sql`${c} < ${bins[0]!}`)
  if (bins.at(-1) !== Infinity) out.above = countWhere('column_values.above', { column: k.column, value: bins.at(-1) }, () => sql`${c} > ${bins.at(-1)!}`)
  return out
}

function verdict(k: Kwargs, kl: number, details: Record<string, unknown>) {
  const finite = Number.isFinite(kl)
  return {
    success: k.threshold === null || k.threshold === undefined ? true : kl <= k.threshold,
    result: { observed_value: finite ? kl : null, details },
  }
}

function categorical(k: Kwargs, counts: readonly ValueCount[], nonNull: number) {
  const po = k.partition_object
  if (!po?.values) {
    // No partition: the column against its own distribution.
    const weights = counts.map((c) => c.count / nonNull)
    const values = counts.map((c) => c.value)
    return verdict(k, 0, { observed_partition: { values, weights }, expected_partition: { values, weights } })
  }
  const expectedValues = po.values
  const extra = counts.filter((c) => !memberOf(c.value, expectedValues))
  const values = [...expectedValues, ...extra.map((c) => c.value)]
  const pk = values.map((v) => (counts.find((c) => sameValue(c.value, v))?.count ?? 0) / nonNull)
  const scale = extra.length > 0 ? 1 - k.tail_weight_holdout : 1
  const qk = [...po.weights.map((w) => w * scale), ...extra.map(() => k.tail_weight_holdout / extra.length)]
  return verdict(k, entropy(pk, qk), { observed_partition: { values, weights: pk }, expected_partition: { values, weights: qk } })
}

function continuous(k: Kwargs, v: Record<string, unknown>, nonNull: number) {
  const po = k.partition_object!
  const bins = po.bins!
  const observed = po.weights.map((_w, i) => Number(v[`bin${i}`]) / nonNull)
  const below = Number(v.below ?? 0) / nonNull, above = Number(v.above ?? 0) / nonNull
  let expected = po.weights.map((w) => w * (1 - k.tail_weight_holdout - k.internal_weight_holdout))
  if (k.internal_weight_holdout > 0) {
    const zeros = expected.filter((w) => w === 0).length
    if (zeros > 0) expected = expected.map((w) => (w === 0 ? k.internal_weight_holdout / zeros : w))
  }
  const lowerInf = bins[0] === -Infinity, upperInf = bins.at(-1) === Infinity
  let shownBins: number[], obsW: number[], expW: number[], obsTail: number[], expTail: number[], combObs: number[], combExp: number[]
  if (lowerInf && upperInf) {
    shownBins = bins.slice(1, -1)
    combObs = observed; combExp = expected
    obsTail = [observed[0]!, observed.at(-1)!]; expTail = [expected[0]!, expected.at(-1)!]
    obsW = observed.slice(1, -1); expW = expected.slice(1, -1)
  } else if (lowerInf) {
    shownBins = bins.slice(1)
    combObs = [...observed, above]; combExp = [...expected, k.tail_weight_holdout]
    obsTail = [observed[0]!, above]; expTail = [expected[0]!, k.tail_weight_holdout]
    obsW = observed.slice(1); expW = expected.slice(1)
  } else if (upperInf) {
    shownBins = bins.slice(0, -1)
    combObs = [below, ...observed]; combExp = [k.tail_weight_holdout, ...expected]
    obsTail = [below, observed.at(-1)!]; expTail = [k.tail_weight_holdout, expected.at(-1)!]
    obsW = observed.slice(0, -1); expW = expected.slice(0, -1)
  } else {
    shownBins = bins
    expTail = po.tail_weights ? [...po.tail_weights] : [k.tail_weight_holdout / 2, k.tail_weight_holdout / 2]
    combObs = [below, ...observed, above]; combExp = [expTail[0]!, ...expected, expTail[1]!]
    obsTail = [below, above]
    obsW = observed; expW = expected
  }
  return verdict(k, entropy(combObs, combExp), {
    observed_partition: { bins: shownBins, weights: obsW, tail_weights: obsTail },
    expected_partition: { bins: shownBins, weights: expW, tail_weights: expTail },
  })
}

export const expectColumnKlDivergenceToBeLessThan = defineExpectation({
  type: 'expect_column_kl_divergence_to_be_less_than',
  domain: 'column',
  kwargs,
  metrics,
  evaluate: (k, v) => {
    const nonNull = Number(v.nonNull)
    if (!k.partition_object || !k.partition_object.bins) return categorical(k, (v.counts as ValueCount[]) ?? [], nonNull)
    return continuous(k, v, nonNull)
  },
})
