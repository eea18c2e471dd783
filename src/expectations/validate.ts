import { z } from 'zod'
import { AsofError, Errors, describeZodError, formatPath, newId } from '../core/index.js'
import { sql, type Column, type Engine, type Relation } from '../engines/index.js'
import { CATALOG_BY_TYPE } from './catalog/index.js'
import { compileScope, metricKey, parseWorkMem, runScope, type ComputedValues } from './compiler.js'
import type { AnyExpectationDefinition, Evaluation, UnexpectedRows } from './define.js'
import { needsUnexpectedRows, shapeAggregateResult, shapeMapResult, unexpectedRowsReader, type UnexpectedSample } from './evaluate.js'
import type { BatchScope, ComputedMetric, MetricContext, MetricRequest } from './metrics/metric.js'
import { parseRowCondition, type RowCondition } from './metrics/row-condition.js'
import { resolveParameters, type ParameterResolver } from './formats/parameters.js'
import { NO_EXCEPTION, statisticsOf, statusOf, type ExpectationResult, type ValidationResult } from './formats/result.js'
import { overrideResultFormat, parseResultFormat, type ResultFormat } from './formats/result-format.js'
import { readSuiteFile, type ExpectationConfig, type Suite } from './formats/suite.js'

/** What a validation reads: a relation on an engine (file, table, query, user SQL). */
export interface Batch {
  readonly engine: Engine
  readonly relation: Relation
  /** Shown in the result's `meta.batch_spec` and stored with metric history (`driver_stats@2`, a path…). */
  readonly description?: string
  /**
   * Called once the suite is planned, with the batch's columns it reads (in the batch's order): the
   * relation to scan instead of `relation`, which still gives the schema. `asof validate --data`
   * parses a text file once into a table of just these columns (a CSV's unread timestamps cost ~15 % of the parse).
   */
  readonly prepare?: (columns: readonly string[]) => Promise<Relation>
}

export interface ValidateOptions {
  /** The run's result format (an expectation's own `result_format` kwarg overrides it). Default SUMMARY. */
  readonly resultFormat?: ResultFormat | string
  readonly runName?: string
  /** The run's time: `now()` in parameters. Default: the wall clock. */
  readonly now?: Date
  /** Parameters for this run; they override the suite's `suite_parameters`. */
  readonly parameters?: Readonly<Record<string, unknown>>
  /** Resolves a parameter name neither the run nor the suite defines (a metric of an earlier run…). */
  readonly resolveParameter?: ParameterResolver
  /** PostgreSQL `work_mem` for the scan that sorts (medians, quantiles, DISTINCT); default 256MB. */
  readonly workMem?: string
}

/** A validation's result plus every metric it computed (for metric history). */
export interface ValidationOutcome {
  readonly result: ValidationResult
  readonly metrics: readonly ComputedMetric[]
}

const COMMON_KWARGS = z.looseObject({
  row_condition: z.string().nullish(),
  condition_parser: z.string().nullish(),
  result_format: z.unknown().optional(),
  catch_exceptions: z.boolean().nullish(),
  include_config: z.boolean().nullish(),
})

/** The kwargs after parameters are resolved and common kwargs are split off. */
interface Planned {
  readonly index: number
  readonly config: ExpectationConfig
  readonly resolvedKwargs: Record<string, unknown>
  readonly definition: AnyExpectationDefinition
  readonly kwargs: unknown
  readonly format: ResultFormat
  readonly rowCondition?: RowCondition
  readonly requests: Record<string, MetricRequest>
}

class ExpectationProblem extends Error {
  constructor(message: string, readonly field?: string) { super(message) }
}

/**
 * Validates `batch` against `suite`: plans every expectation (unknown types and bad kwargs become
 * that expectation's `exception_info`, the rest still runs), computes all metrics in one aggregate
 * scan per row-condition scope plus the query metrics, evaluates, reads unexpected rows where the
 * result format asks for them, and returns GX's validation-result shape with results in suite order.
 */
export async function validate(suite: Suite, batch: Batch, options: ValidateOptions = {}): Promise<ValidationOutcome> {
  const startedAt = new Date()
  const now = options.now ?? startedAt
  const runFormat = typeof options.resultFormat === 'object' ? options.resultFormat : parseResultFormat(options.resultFormat, 'result_format')
  const workMem = parseWorkMem(options.workMem)
  const columns = await batch.engine.describe(batch.relation)
  const context: MetricContext = { engine: batch.engine.kind, columns }
  const parameters = { ...suite.parameters, ...options.parameters }
  const resolve = async (name: string) => {
    if (name in parameters) return parameters[name]
    if (options.resolveParameter) {
      const v = await options.resolveParameter(name)
      if (v !== undefined) return v
    }
    throw new ExpectationProblem(`unknown parameter ${JSON.stringify(name)}; known: ${Object.keys(parameters).join(', ') || '(none)'}`, 'kwargs')
  }

  const results: (ExpectationResult | undefined)[] = new Array(suite.expectations.length)
  const planned: Planned[] = []
  await Promise.all(suite.expectations.map(async (config, index) => {
    try {
      planned.push(await plan(config, index, { context, runFormat, resolve, now }))
    } catch (e) {
      results[index] = raised(config, index, config.kwargs, e)
    }
  }))
  planned.sort((a, b) => a.index - b.index)
  const scanned = batch.prepare ? await batch.prepare(columnsRead(planned, columns)) : batch.relation

  // One scope per distinct row condition; each compiles to one aggregate scan.
  const scopes = new Map<string, { scope: BatchScope; members: Planned[] }>()
  for (const p of planned) {
    const key = p.rowCondition?.text ?? ''
    if (!scopes.has(key)) scopes.set(key, { scope: scopeFor(batch.engine, scanned, context, p.rowCondition), members: [] })
    scopes.get(key)!.members.push(p)
  }
  const metrics: ComputedMetric[] = []
  await Promise.all([...scopes.entries()].map(async ([conditionText, { scope, members }]) => {
    const computed = await runScope(scope, compileScope(scope, members.flatMap((m) => Object.values(m.requests))), workMem)
    recordMetrics(metrics, members, computed, conditionText)
    const readRows = unexpectedRowsReader(scope)
    await Promise.all(members.map(async (p) => {
      results[p.index] = await finish(p, scope, computed, readRows)
    }))
  }))

  const finishedAt = new Date()
  const all = results as ExpectationResult[]
  return {
    metrics,
    result: {
      success: all.every((r) => r.status !== 'fail' && r.status !== 'error'),
      results: all,
      suite_name: suite.name,
      suite_parameters: parameters,
      statistics: statisticsOf(all),
      meta: {
        suite_name: suite.name,
        batch_spec: batchSpec(batch),
        run_id: { run_name: options.runName ?? null, run_time: now.toISOString() },
        validation_id: newId(),
        validation_time: now.toISOString(),
        started_at: startedAt.toISOString(),
        finished_at: finishedAt.toISOString(),
        asof_version: '0.1.0',
      },
    },
  }
}

async function plan(
  config: ExpectationConfig,
  index: number,
  env: { context: MetricContext; runFormat: ResultFormat; resolve: (name: string) => Promise<unknown>; now: Date },
): Promise<Planned> {
  const definition = CATALOG_BY_TYPE.get(config.type)
  if (!definition) {
    throw new ExpectationProblem(`unknown expectation type ${JSON.stringify(config.type)}`, 'type')
  }
  const resolvedKwargs = (await resolveParameters(config.kwargs, { now: env.now, resolve: env.resolve })) as Record<string, unknown>
  const common = COMMON_KWARGS.safeParse(resolvedKwargs)
  if (!common.success) throw zodProblem(common.error)
  const { row_condition, condition_parser: _p, result_format, catch_exceptions: _c, include_config: _i, ...own } = common.data
  const parsed = definition.kwargs.safeParse(own)
  if (!parsed.success) throw zodProblem(parsed.error)
  const format = overrideResultFormat(env.runFormat, result_format, 'kwargs.result_format')
  const rowCondition = row_condition ? parseRowCondition(row_condition) : undefined
  const known = new Set(env.context.columns.map((c) => c.name))
  if (definition.domain !== 'table' && definition.domain !== 'query') {
    for (const name of referencedColumns(parsed.data)) {
      if (!known.has(name)) throw new ExpectationProblem(`column ${JSON.stringify(name)} is not in the batch; columns: ${[...known].join(', ')}`, 'column')
    }
  }
  for (const name of rowCondition?.columns ?? []) {
    if (!known.has(name)) throw new ExpectationProblem(`row_condition reads column ${JSON.stringify(name)}, which is not in the batch`, 'row_condition')
  }
  for (const name of format.unexpected_index_column_names ?? []) {
    if (!known.has(name)) throw new ExpectationProblem(`unexpected_index_column_names: column ${JSON.stringify(name)} is not in the batch`, 'result_format')
  }
  const requests = definition.metrics(parsed.data, env.context)
  // Build each aggregate's SQL now, so a kwarg that cannot become SQL (a word as a numeric bound)
  // is reported on this expectation instead of failing the suite's bundled scan.
  for (const r of Object.values(requests)) if (r.shape === 'aggregate') r.sql(env.context)
  return { index, config, resolvedKwargs, definition, kwargs: parsed.data, format, ...(rowCondition ? { rowCondition } : {}), requests }
}

/**
 * The batch's columns the planned expectations read, in the batch's order: those their kwargs, row
 * conditions and index columns name, or all of them when one may read any (a SQL check, drift).
 * At least one, so that a relation of just these columns keeps the batch's rows.
 */
function columnsRead(planned: readonly Planned[], columns: readonly Column[]): string[] {
  const read = new Set<string>()
  for (const p of planned) {
    const { domain, readsValues } = p.definition
    if (readsValues !== false && (domain === 'table' || domain === 'query')) return columns.map((c) => c.name)
    const named = readsValues === false ? [] : referencedColumns(p.kwargs)
    for (const name of [...named, ...(p.rowCondition?.columns ?? []), ...(p.format.unexpected_index_column_names ?? [])]) read.add(name)
  }
  const names = columns.map((c) => c.name).filter((n) => read.has(n))
  return names.length > 0 ? names : columns.slice(0, 1).map((c) => c.name)
}

function referencedColumns(kwargs: unknown): string[] {
  const k = kwargs as Record<string, unknown>
  const names: unknown[] = [k.column, k.column_A, k.column_B, ...(Array.isArray(k.column_list) ? k.column_list : [])]
  return names.filter((n): n is string => typeof n === 'string')
}

function zodProblem(error: z.ZodError): ExpectationProblem {
  const first = error.issues[0]
  const field = first ? formatPath(first.path) : undefined
  return new ExpectationProblem(describeZodError(error, 'kwargs'), field ? `kwargs.${field}` : 'kwargs')
}

function scopeFor(engine: Engine, relation: Relation, context: MetricContext, condition: RowCondition | undefined): BatchScope {
  const base = engine.from(relation)
  const from = condition ? sql`(select * from ${base} as b where ${condition.sql})` : base
  return { engine, relation, from, context }
}

async function finish(
  p: Planned, scope: BatchScope, computed: ComputedValues,
  readRows: (spec: UnexpectedRows, format: ResultFormat) => Promise<UnexpectedSample>,
): Promise<ExpectationResult> {
  try {
    const values: Record<string, unknown> = {}
    for (const [local, request] of Object.entries(p.requests)) {
      const key = metricKey(request)
      const error = computed.errors.get(key)
      if (error) throw error
      values[local] = computed.values.get(key)
    }
    const evaluation: Evaluation = p.definition.evaluate(p.kwargs, values, scope.context)
    let result: Record<string, unknown>
    const spec = p.definition.unexpectedRows?.(p.kwargs, scope.context, values)
    if (spec) {
      const failing = Number(evaluation.result.unexpected_count ?? 0) > 0
      const sample = failing && needsUnexpectedRows(p.format) ? await readRows(spec, p.format) : undefined
      result = shapeMapResult(evaluation.result, spec, p.format, sample)
    } else {
      result = shapeAggregateResult(evaluation.result, p.format)
    }
    return {
      expectation_config: configOf(p.config, p.resolvedKwargs),
      success: evaluation.success,
      status: statusOf(evaluation.success, p.config.severity, false),
      result,
      exception_info: NO_EXCEPTION,
      meta: {},
    }
  } catch (e) {
    return raised(p.config, p.index, p.resolvedKwargs, e)
  }
}

function configOf(config: ExpectationConfig, kwargs: Record<string, unknown>): ExpectationResult['expectation_config'] {
  return { type: config.type, kwargs, meta: config.meta, severity: config.severity, ...(config.id ? { id: config.id } : {}) }
}

/**
 * An expectation raised. With GX's default `catch_exceptions: true` the problem becomes this
 * expectation's result; with `catch_exceptions: false` it propagates and the whole run fails with it
 * (an AsofError keeps its kind, anything else is a bad input), as GX lets the exception escape.
 */
function raised(config: ExpectationConfig, index: number, kwargs: Record<string, unknown>, e: unknown): ExpectationResult {
  if (config.kwargs.catch_exceptions !== false) return errorResult(config, index, kwargs, e)
  const message = `expectations[${index}] (${config.type}) raised, and catch_exceptions is false: ${(e as Error).message ?? String(e)}`
  const field = e instanceof ExpectationProblem ? e.field : undefined
  if (e instanceof AsofError) throw new AsofError(e.code, e.kind, message, { ...e.details, index }, { cause: e })
  throw new AsofError(Errors.badInput.code, Errors.badInput.kind, message, { index, ...(field ? { field } : {}) }, { cause: e })
}

/** GX's catch_exceptions behaviour: the problem is reported on this expectation, success false. */
function errorResult(config: ExpectationConfig, index: number, kwargs: Record<string, unknown>, e: unknown): ExpectationResult {
  const field = e instanceof ExpectationProblem ? e.field : e instanceof AsofError ? (e.details?.field as string | undefined) : undefined
  const message = (e as Error).message ?? String(e)
  return {
    expectation_config: configOf(config, kwargs),
    success: false,
    status: 'error',
    result: {},
    exception_info: {
      raised_exception: true,
      exception_message: `expectations[${index}] (${config.type}): ${message}`,
      exception_traceback: null,
      index,
      type: config.type,
      ...(field ? { field } : {}),
    },
    meta: {},
  }
}

function recordMetrics(out: ComputedMetric[], members: readonly Planned[], computed: ComputedValues, rowCondition: string): void {
  const seen = new Set<string>()
  for (const p of members) {
    for (const request of Object.values(p.requests)) {
      const key = metricKey(request)
      if (seen.has(key) || !computed.values.has(key)) continue
      seen.add(key)
      const args = rowCondition ? { ...request.args, row_condition: rowCondition } : request.args
      out.push({ name: request.name, args, value: computed.values.get(key) })
    }
  }
}

function batchSpec(batch: Batch): Record<string, unknown> {
  const r = batch.relation
  const base: Record<string, unknown> = { engine: batch.engine.kind, kind: r.kind }
  if (r.kind === 'table') base.table = r.schema ? `${r.schema}.${r.name}` : r.name
  if (r.kind === 'file') Object.assign(base, { path: r.path, format: r.format })
  if (r.kind === 'user_sql') base.query = r.text
  if (batch.description) base.description = batch.description
  return base
}


/**
 * The expectations engine as the composition root exposes it (`asof.expectations`): stateless,
 * so api/, cli/ and pipelines/ all validate the same way. Checkpoints and history build on it.
 */
export interface ExpectationsService {
  validate(suite: Suite, batch: Batch, options?: ValidateOptions): Promise<ValidationOutcome>
  /** Reads a GX 0.x/1.x suite file; bad_input naming the file when it cannot be read or parsed. */
  readSuiteFile(path: string): Suite
}

export function createExpectationsService(): ExpectationsService {
  return { validate, readSuiteFile }
}
