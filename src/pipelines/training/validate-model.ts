import { performance } from 'node:perf_hooks'
import type { Row } from '../../engines/index.js'
import type { ModelMetrics, SignatureColumn } from '../models/model-registry.js'
import { evaluateModel, METRIC_DIRECTION } from './evaluate.js'
import type { ValidateModelSpec } from './specs.js'
import { predictRows, type TrainedModel } from './train.js'

export interface ModelCheck {
  name: string
  success: boolean
  detail: string
}

export interface ModelValidationReport {
  success: boolean
  checks: ModelCheck[]
  champion_version: number | null
}

export interface ValidateModelInput {
  candidate: TrainedModel
  metrics: ModelMetrics
  testRows: readonly Row[]
  /** The label column of the test rows. */
  label: string
  sliceColumn?: string
  /** The model the alias points at now, if any. */
  champion?: { version: number; model: TrainedModel }
  /** The columns (and types) the online store serves for this model's features. */
  servingSchema: readonly SignatureColumn[]
  spec: ValidateModelSpec
}

/** Runs every check; the report says which failed and why. */
export function validateModel(input: ValidateModelInput): ModelValidationReport {
  const checks = [
    ...thresholdChecks(input.metrics, input.spec),
    ...championChecks(input),
    servingSchemaCheck(input.candidate, input.testRows, input.servingSchema),
    latencyCheck(input.candidate, input.testRows, input.spec),
  ]
  return { success: checks.every((c) => c.success), checks, champion_version: input.champion?.version ?? null }
}

function thresholdChecks(metrics: ModelMetrics, spec: ValidateModelSpec): ModelCheck[] {
  return Object.entries(spec.thresholds).map(([metric, bound]) => {
    const value = metrics.overall[metric]
    const name = `threshold:${metric}`
    if (value === undefined) return { name, success: false, detail: `the model reports no ${metric}; it reports ${Object.keys(metrics.overall).join(', ')}` }
    const ok = (bound.min === undefined || value >= bound.min) && (bound.max === undefined || value <= bound.max)
    return { name, success: ok, detail: `${metric} = ${fmt(value)} (bounds ${bound.min ?? '-∞'} … ${bound.max ?? '∞'})` }
  })
}

/** Not worse than the champion by more than the tolerance, overall and on every slice both have. */
function championChecks(input: ValidateModelInput): ModelCheck[] {
  const { champion, spec } = input
  if (!champion) return [{ name: 'champion', success: true, detail: `no model holds the alias ${spec.champion.alias}: nothing to compare with` }]
  const theirs = evaluateModel(champion.model, input.testRows, input.label, input.sliceColumn).metrics
  const compare = (scope: string, ours: Record<string, number>, base: Record<string, number>): ModelCheck[] => {
    const names = spec.champion.metrics ?? Object.keys(ours).filter((m) => m in base && m in METRIC_DIRECTION)
    return names.filter((m) => ours[m] !== undefined && base[m] !== undefined).map((m) => {
      const diff = METRIC_DIRECTION[m] === 'lower' ? base[m]! - ours[m]! : ours[m]! - base[m]!
      return {
        name: `champion:${scope}:${m}`,
        success: diff >= -spec.champion.tolerance,
        detail: `${m} ${fmt(ours[m]!)} vs champion v${champion.version} ${fmt(base[m]!)} (tolerance ${spec.champion.tolerance})`,
      }
    })
  }
  const checks = compare('overall', input.metrics.overall, theirs.overall)
  if (spec.champion.slices && input.metrics.slices && theirs.slices) {
    for (const [value, ours] of Object.entries(input.metrics.slices.values)) {
      const base = theirs.slices.values[value]
      if (base) checks.push(...compare(`${input.metrics.slices.column}=${value}`, ours, base))
    }
  }
  return checks
}

const ACCEPTS: Record<SignatureColumn['type'], readonly SignatureColumn['type'][]> = {
  double: ['double', 'long', 'boolean'],
  long: ['long', 'boolean'],
  string: ['string'],
  boolean: ['boolean'],
}

/**
 * The model must accept what online serving returns: every input present with a compatible
 * type, and finite predictions for rows holding only the served columns, including an all-null
 * row (an entity the online store does not know).
 */
function servingSchemaCheck(m: TrainedModel, testRows: readonly Row[], serving: readonly SignatureColumn[]): ModelCheck {
  const byName = new Map(serving.map((c) => [c.name, c.type]))
  const problems = m.signature.inputs.flatMap((input) => {
    const served = byName.get(input.name)
    if (!served) return [`${input.name} is not served (served: ${[...byName.keys()].join(', ') || 'none'})`]
    return ACCEPTS[input.type].includes(served) ? [] : [`${input.name} is served as ${served}, the model takes ${input.type}`]
  })
  if (problems.length === 0) {
    const servedRows: Row[] = testRows.slice(0, 20).map((r) => Object.fromEntries(serving.map((c) => [c.name, r[c.name] ?? null])))
    servedRows.push(Object.fromEntries(serving.map((c) => [c.name, null])))
    const out = predictRows(m, servedRows)
    if (!out.every(Number.isFinite)) problems.push('a prediction on served rows is not a finite number')
  }
  return { name: 'serving_schema', success: problems.length === 0, detail: problems.length ? problems.join('; ') : `accepts the ${serving.length} served columns` }
}

function latencyCheck(m: TrainedModel, testRows: readonly Row[], spec: ValidateModelSpec): ModelCheck {
  const row = testRows[0] ?? {}
  predictRows(m, [row]) // warm-up: the first call compiles kernels
  const times = Array.from({ length: spec.latency_samples }, () => {
    const t0 = performance.now()
    predictRows(m, [row])
    return performance.now() - t0
  }).sort((a, b) => a - b)
  const p95 = times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)]!
  return { name: 'latency', success: p95 <= spec.latency_budget_ms, detail: `p95 single-row prediction ${fmt(p95)} ms (budget ${spec.latency_budget_ms} ms)` }
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4)
}
