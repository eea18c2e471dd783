import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { Errors, parseOrThrow } from '../../core/index.js'
import { parseLenientJson } from './lenient-json.js'

/** GX 1.x per-expectation severity; only `critical` failures fail a checkpoint. */
export type Severity = 'critical' | 'warning' | 'info'
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info']

/** One expectation of a suite, in asof's in-memory form (GX 1.x field names). */
export interface ExpectationConfig {
  /** The canonical (lower-case) type: GX's `expect_column_pair_values_A_to_be_greater_than_B` is read lower-cased. */
  readonly type: string
  readonly kwargs: Record<string, unknown>
  readonly meta: Record<string, unknown>
  readonly severity: Severity
  readonly id?: string
  readonly notes?: string | string[]
  readonly description?: string
}

/** A suite, whichever GX format it was read from. */
export interface Suite {
  readonly name: string
  readonly id?: string
  readonly expectations: readonly ExpectationConfig[]
  readonly meta: Record<string, unknown>
  /** 1.x `suite_parameters` / 0.x `evaluation_parameters`. */
  readonly parameters: Record<string, unknown>
}

const record = z.record(z.string(), z.unknown())
const severity = z.enum(['critical', 'warning', 'info'])
// Extra keys (ge_cloud_id, expectation_context, rendered_content…) are accepted and dropped.
const gx0Expectation = z.looseObject({
  expectation_type: z.string().min(1),
  kwargs: record.default({}),
  meta: record.nullish(),
})
const gx0Suite = z.looseObject({
  expectation_suite_name: z.string().min(1),
  expectations: z.array(gx0Expectation).default([]),
  meta: record.nullish(),
  evaluation_parameters: record.nullish(),
  ge_cloud_id: z.string().nullish(),
})
const gx1Expectation = z.looseObject({
  type: z.string().min(1),
  kwargs: record.default({}),
  meta: record.nullish(),
  id: z.string().nullish(),
  severity: severity.nullish(),
  notes: z.union([z.string(), z.array(z.string())]).nullish(),
  description: z.string().nullish(),
})
const gx1Suite = z.looseObject({
  name: z.string().min(1),
  id: z.string().nullish(),
  expectations: z.array(gx1Expectation).default([]),
  suite_parameters: record.nullish(),
  meta: record.nullish(),
})

function severityOf(value: unknown, where: string): Severity {
  return value === undefined || value === null ? 'critical' : parseOrThrow(severity, value, where)
}

/**
 * Reads a suite in GX 0.x (`expectation_suite_name`, `expectation_type`) or 1.x (`name`, `type`)
 * format, from JSON text (bare Infinity/NaN allowed) or a parsed object. Unparseable → bad_input.
 * Kwargs are kept as written: each expectation's kwargs are checked when it runs, so one bad
 * expectation is reported on its own result instead of rejecting the suite.
 */
export function readSuite(input: string | unknown, where = 'suite'): Suite {
  const raw = typeof input === 'string' ? parseLenientJson(input, where) : input
  if (raw && typeof raw === 'object' && 'expectation_suite_name' in raw) {
    const s = parseOrThrow(gx0Suite, raw, where)
    return {
      name: s.expectation_suite_name,
      ...(s.ge_cloud_id ? { id: s.ge_cloud_id } : {}),
      meta: s.meta ?? {},
      parameters: s.evaluation_parameters ?? {},
      expectations: s.expectations.map((e, i) => {
        const { severity: sev, ...meta } = e.meta ?? {}
        return { type: e.expectation_type.toLowerCase(), kwargs: e.kwargs, meta, severity: severityOf(sev, `${where}: expectations[${i}].meta.severity`) }
      }),
    }
  }
  const s = parseOrThrow(gx1Suite, raw, where)
  return {
    name: s.name,
    ...(s.id ? { id: s.id } : {}),
    meta: s.meta ?? {},
    parameters: s.suite_parameters ?? {},
    expectations: s.expectations.map((e) => ({
      type: e.type.toLowerCase(),
      kwargs: e.kwargs,
      meta: e.meta ?? {},
      severity: e.severity ?? 'critical',
      ...(e.id ? { id: e.id } : {}),
      ...(e.notes ? { notes: e.notes } : {}),
      ...(e.description ? { description: e.description } : {}),
    })),
  }
}

/** One expectation as GX 1.x writes it. */
export function expectationToGx1(e: ExpectationConfig): Record<string, unknown> {
  return {
    type: e.type,
    kwargs: e.kwargs,
    meta: e.meta,
    ...(e.id ? { id: e.id } : {}),
    severity: e.severity,
    ...(e.notes ? { notes: e.notes } : {}),
    ...(e.description ? { description: e.description } : {}),
  }
}

/** The suite in GX 1.x format (what asof writes). */
export function suiteToGx1(suite: Suite): Record<string, unknown> {
  return {
    name: suite.name,
    ...(suite.id ? { id: suite.id } : {}),
    expectations: suite.expectations.map(expectationToGx1),
    suite_parameters: suite.parameters,
    meta: suite.meta,
  }
}

/** The suite in GX 0.x format (severity kept as `meta.severity` when not critical). */
export function suiteToGx0(suite: Suite): Record<string, unknown> {
  return {
    expectation_suite_name: suite.name,
    ...(suite.id ? { ge_cloud_id: suite.id } : {}),
    expectations: suite.expectations.map((e) => ({
      expectation_type: e.type,
      kwargs: e.kwargs,
      meta: e.severity === 'critical' ? e.meta : { ...e.meta, severity: e.severity },
    })),
    evaluation_parameters: suite.parameters,
    meta: suite.meta,
    data_asset_type: null,
  }
}

/**
 * JSON text of a suite. Non-finite numbers (KL partitions) are written as Python's json module
 * writes them (bare `Infinity`), which GX and `readSuite` both read.
 */
export function stringifySuite(value: Record<string, unknown>): string {
  const SENTINEL = '__asof_nonfinite__:'
  const text = JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? `${SENTINEL}${v}` : v), 2)
  return text.replace(new RegExp(`"${SENTINEL}(-?Infinity|NaN)"`, 'g'), '$1')
}

/** Reads a suite file (GX 0.x or 1.x JSON); a missing or unparseable file is one bad_input naming it. */
export function readSuiteFile(path: string): Suite {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw Errors.badInput(path, code === 'ENOENT' ? 'no such suite file' : `cannot read the suite file (${code ?? (e as Error).message})`)
  }
  return readSuite(text, path)
}
