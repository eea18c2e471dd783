import { z } from 'zod'
import { columnSchema, defineExpectation, extendedNumberSchema, type ExpectationDefinition } from '../define.js'
import type { AggregateMetric } from '../metrics/metric.js'
import { columnValueCounts, type ValueCount } from '../metrics/column-aggregate.js'

/**
 * Bounds as GX suites write them: numbers, strings (dates, or numbers written as text), or
 * null/absent for a one-sided range.
 */
export const boundSchema = z.union([extendedNumberSchema, z.string(), z.null()]).optional()

export const boundsShape = {
  min_value: boundSchema,
  max_value: boundSchema,
  strict_min: z.boolean().default(false),
  strict_max: z.boolean().default(false),
}

export interface Bounds {
  min_value?: number | string | null
  max_value?: number | string | null
  strict_min: boolean
  strict_max: boolean
}

type Comparable = number | string

/** A bound that constrains nothing: absent, null, or ±Infinity. */
export function isOpenBound(v: unknown): v is null | undefined | number {
  return v === null || v === undefined || v === Infinity || v === -Infinity
}

/** Brings a value and a bound to one comparable kind: numbers, or epoch millis for dates. */
function comparable(value: unknown, bound: Comparable): [Comparable, Comparable] | undefined {
  const asNumber = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : undefined)
  const n = asNumber(value), b = asNumber(bound)
  if (n !== undefined && b !== undefined) return [n, b]
  const asDate = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v.endsWith('Z') || /[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`) : undefined)
  const d = asDate(value), e = asDate(bound)
  if (d !== undefined && e !== undefined && !Number.isNaN(d) && !Number.isNaN(e)) return [d, e]
  if (typeof value === 'string' && typeof bound === 'string') return [value, bound]
  return undefined
}

/** GX's between: inclusive unless strict; a null bound is open; a null value fails. */
export function inBounds(value: unknown, b: Bounds): boolean {
  if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) return false
  if (b.min_value !== null && b.min_value !== undefined) {
    const c = comparable(value, b.min_value)
    if (!c || (b.strict_min ? !(c[0] > c[1]) : !(c[0] >= c[1]))) return false
  }
  if (b.max_value !== null && b.max_value !== undefined) {
    const c = comparable(value, b.max_value)
    if (!c || (b.strict_max ? !(c[0] < c[1]) : !(c[0] <= c[1]))) return false
  }
  return true
}

/**
 * A column-aggregate "to be between" expectation (mean, median, min, max, sum, stdev…): one
 * aggregate metric, `observed_value` = its value, success when it is within the bounds.
 */
export function defineAggregateBetween(
  type: `expect_${string}`,
  metric: (column: string) => AggregateMetric,
): ExpectationDefinition<z.ZodType<{ column: string } & Bounds>> {
  return defineExpectation({
    type,
    domain: 'column',
    kwargs: z.looseObject({ column: columnSchema, ...boundsShape }),
    metrics: (k) => ({ observed: metric(k.column) }),
    evaluate: (k, v) => ({ success: inBounds(v.observed, k), result: { observed_value: v.observed ?? null } }),
  })
}

/** GX's value equality across notations: 1 == 1.0, and date strings equal when they name the same instant. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b) && a !== null && b !== null && a !== '' && b !== ''
  if (typeof a === 'string' && typeof b === 'string') {
    const c = comparable(a, b)
    return c !== undefined && typeof c[0] === 'number' && c[0] === c[1]
  }
  return false
}

/** Whether `value` is a member of `set` under sameValue. */
export function memberOf(value: unknown, set: readonly unknown[]): boolean {
  return set.some((s) => sameValue(value, s))
}

/**
 * A distinct-values set expectation: the column's distinct values (with counts in
 * `details.value_counts`) against `value_set`, by a set predicate.
 */
export function defineDistinctSetExpectation(
  type: `expect_${string}`,
  predicate: (observed: readonly unknown[], valueSet: readonly unknown[] | null) => boolean,
) {
  return defineExpectation({
    type,
    domain: 'column',
    kwargs: z.looseObject({ column: columnSchema, value_set: z.array(z.unknown()).nullable(), parse_strings_as_datetimes: z.boolean().optional() }),
    metrics: (k) => ({ counts: columnValueCounts(k.column) }),
    evaluate: (k, v) => {
      const counts = v.counts as ValueCount[]
      const observed = counts.map((c) => c.value)
      return { success: predicate(observed, k.value_set), result: { observed_value: observed, details: { value_counts: counts } } }
    },
  })
}
