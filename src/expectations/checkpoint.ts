import { readdir, readFile } from 'node:fs/promises'
import { basename, extname, isAbsolute, join, resolve } from 'node:path'
import { z } from 'zod'
import { canonicalJson, dateToMicros, Errors, formatMicros, newId, parseOrThrow, type Logger } from '../core/index.js'
import type { Engine, Relation } from '../engines/index.js'
import { metricsRepo, resultsRepo, type MetadataStore, type MetricRow, type ResultRow } from '../metadata/index.js'
import { checkpointActionSchema, DEFAULT_ACTIONS, postWebhook, webhookFires, type ActionOutcome, type CheckpointAction } from './actions.js'
import { batchSpecSchema, type BatchResolver, type ResolvedBatch } from './batch-spec.js'
import { writeDataDocs, type DocsResult } from './docs/data-docs.js'
import type { ValidationResult, ValidationStatistics } from './formats/result.js'
import { readSuite, type ExpectationConfig, type Suite } from './formats/suite.js'
import { daysBefore, earlierRunParameterResolver, historyNeeded, anomalyRuleSchema, storeHistoryReader, type HistoryScope, type MetricHistoryReader } from './history.js'
import { AGGREGATE_HISTORY_METRIC } from './sql-checks.js'
import { parseSuiteRef, type SuiteStore } from './suite-store.js'
import { validate } from './validate.js'

/**
 * Checkpoints (GX's, with Airflow's "fail the task" switch): a named list of validations — a batch
 * and a suite each — and the actions to take with the results. A checkpoint is a gate: other
 * components (materialization, training) run it, or read its latest result, and stop on failure.
 *
 * Checkpoints are JSON files, `checkpoints/<name>.json` in the feature repo, or configs passed in:
 *
 * ```json
 * { "name": "nightly_trips",
 *   "validations": [{ "batch": { "type": "file", "path": "data/trips.parquet" }, "suite": "trips" }],
 *   "actions": [{ "type": "store_result" }, { "type": "record_metrics" }, { "type": "webhook", "url": "https://…" }],
 *   "fail_on_validation_failure": true }
 * ```
 */

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$/

const validationSchema = z.object({
  batch: batchSpecSchema,
  /** A stored suite (`trips`, `trips@3`) or a suite file in the repo (`{"path": "expectations/trips.json"}`). */
  suite: z.union([z.string().min(1), z.object({ path: z.string().min(1) }).strict()]),
  result_format: z.unknown().optional(),
  /** Evaluation parameters for this validation. */
  parameters: z.record(z.string(), z.unknown()).optional(),
}).strict()
export type ValidationSpec = z.infer<typeof validationSchema>

export const checkpointSchema = z.object({
  name: z.string().regex(NAME, 'expected letters, digits, _ . - (at most 200)'),
  description: z.string().optional(),
  validations: z.array(validationSchema).min(1),
  /** Default: store_result and record_metrics. */
  actions: z.array(checkpointActionSchema).optional(),
  /** Whether a failed validation makes the run an error (`asof checkpoint run` exits 1). Default true. */
  fail_on_validation_failure: z.boolean().default(true),
  /** The run's result format, unless a validation sets its own. */
  result_format: z.unknown().optional(),
}).strict()
export type CheckpointConfig = z.infer<typeof checkpointSchema>
/** A checkpoint as written (defaults not yet applied): what callers pass to `runCheckpoint`. */
export type CheckpointInput = z.input<typeof checkpointSchema>

/** One validation of a run. */
export interface CheckpointValidation {
  readonly batch: string
  readonly suite_name: string
  readonly suite_version: number
  readonly success: boolean
  /** Stored result id (null when the checkpoint has no store_result action). */
  readonly result_id: string | null
  readonly statistics: ValidationStatistics
  readonly result: ValidationResult
}

/** What `runCheckpoint` returns: the gate's verdict and where its evidence is stored. */
export interface CheckpointRun {
  readonly checkpoint: string
  readonly run_id: string
  readonly run_time: string
  /** Every validation passed (no critical failure, no error). */
  readonly success: boolean
  readonly fail_on_validation_failure: boolean
  readonly validations: readonly CheckpointValidation[]
  readonly result_ids: readonly string[]
  readonly actions: readonly ActionOutcome[]
}

/** The newest stored run of a checkpoint: what gates and sensors read. */
export interface LatestCheckpointResult {
  readonly checkpoint: string
  readonly run_id: string
  readonly run_time: string
  readonly success: boolean
  readonly result_ids: readonly string[]
}

/** A stored validation result. */
export interface StoredResult {
  readonly id: string
  readonly checkpoint: string | null
  readonly run_id: string
  readonly suite_name: string
  readonly suite_version: number | null
  readonly batch: string
  readonly success: boolean
  readonly run_time: string
  readonly result: ValidationResult
}

export interface CheckpointRunOptions {
  /** Evaluation parameters for every validation (a validation's own win). */
  readonly parameters?: Record<string, unknown>
  /**
   * Batches already resolved by the caller, one per validation, used instead of resolving each
   * validation's `batch` spec (a gate validating exactly the rows it is about to write).
   */
  readonly batches?: readonly ResolvedBatch[]
}

export interface CheckpointServiceDeps {
  readonly store: MetadataStore
  readonly suites: SuiteStore
  readonly resolveBatch: BatchResolver
  /** The feature repo: checkpoint files live in `<repoDir>/checkpoints`, suite paths are relative to it. */
  readonly repoDir: string
  /** Default output of data docs. */
  readonly docsDir: string
  readonly log?: Logger
  readonly clock?: () => Date
}

export interface CheckpointService {
  /** Checkpoint files in the repo, by name. */
  list(): Promise<CheckpointConfig[]>
  /** Reads `checkpoints/<name>.json`; not_found lists the known names. */
  load(name: string): Promise<CheckpointConfig>
  /** Runs a checkpoint (by name, or a config) and its actions. Bad batches or suites throw bad_input / not_found. */
  runCheckpoint(checkpoint: string | CheckpointInput, options?: CheckpointRunOptions): Promise<CheckpointRun>
  /** The newest stored run of `name`, or undefined before its first stored run. */
  latestCheckpointResult(name: string): Promise<LatestCheckpointResult | undefined>
  /** Stored results, newest first (of one checkpoint when `checkpoint` is given). */
  results(filter?: { checkpoint?: string; limit?: number }): Promise<StoredResult[]>
  /** One stored result. */
  result(id: string): Promise<StoredResult>
  /** Renders data docs for the newest `limit` stored results (default 500) into `output` (default docsDir). */
  buildDocs(output?: string, limit?: number): Promise<{ output: string; pages: number }>
}

export function createCheckpointService(deps: CheckpointServiceDeps): CheckpointService {
  const clock = deps.clock ?? (() => new Date())
  const checkpointsDir = join(deps.repoDir, 'checkpoints')
  const history = storeHistoryReader(deps.store)

  const listNames = async (): Promise<string[]> => {
    const entries = await readdir(checkpointsDir).catch(() => [] as string[])
    return entries.filter((f) => extname(f) === '.json').map((f) => basename(f, '.json')).sort()
  }

  const load = async (name: string): Promise<CheckpointConfig> => {
    const names = await listNames()
    if (!names.includes(name)) throw Errors.notFound('checkpoint', name, names)
    const file = join(checkpointsDir, `${name}.json`)
    const where = `checkpoints/${name}.json`
    let raw: unknown
    try {
      raw = JSON.parse(await readFile(file, 'utf8'))
    } catch (e) {
      throw Errors.badInput(where, `not valid JSON: ${(e as Error).message}`)
    }
    const config = parseOrThrow(checkpointSchema, raw, where)
    if (config.name !== name) throw Errors.badInput(where, `name ${JSON.stringify(config.name)} does not match the file name`)
    return config
  }

  const loadSuite = async (ref: ValidationSpec['suite'], where: string): Promise<{ suite: Suite; version: number }> => {
    if (typeof ref === 'string') {
      const { name, version } = parseSuiteRef(ref, where)
      const stored = await deps.suites.get(name, version)
      return { suite: stored.suite, version: stored.version }
    }
    // A suite file from the repo is saved to the store first, so every result names a suite version.
    const path = isAbsolute(ref.path) ? ref.path : resolve(deps.repoDir, ref.path)
    const text = await readFile(path, 'utf8').catch((e: Error) => { throw Errors.badInput(`${where}.path`, `cannot read ${ref.path}: ${e.message}`) })
    const saved = await deps.suites.save(text, { where: ref.path })
    return { suite: readSuite(text, ref.path), version: saved.version }
  }

  const runCheckpoint = async (checkpoint: string | CheckpointInput, options: CheckpointRunOptions = {}): Promise<CheckpointRun> => {
    const config = typeof checkpoint === 'string' ? await load(checkpoint) : parseOrThrow(checkpointSchema, checkpoint, 'checkpoint')
    if (options.batches && options.batches.length !== config.validations.length) {
      throw Errors.badInput(`checkpoint ${config.name}`, `${options.batches.length} batches given for ${config.validations.length} validations`)
    }
    const actions = config.actions ?? DEFAULT_ACTIONS
    const runTime = clock()
    const runTimeIso = formatMicros(dateToMicros(runTime))
    const runId = newId('run_')
    const storing = actions.some((a) => a.type === 'store_result')
    const recording = actions.some((a) => a.type === 'record_metrics')
    const validations: CheckpointValidation[] = []
    const metricRows: MetricRow[] = []
    const resultRows: ResultRow[] = []
    for (const [i, v] of config.validations.entries()) {
      const where = `checkpoint ${config.name}: validations[${i}]`
      const batch = options.batches?.[i] ?? await deps.resolveBatch(v.batch)
      const { suite, version } = await loadSuite(v.suite, `${where}.suite`)
      const scope: HistoryScope = { batch: batch.description, runTime: runTimeIso }
      const outcome = await validate(await withHistory(suite, history, scope), { engine: batch.engine, relation: batch.relation, description: batch.description }, {
        resultFormat: (v.result_format ?? config.result_format) as never,
        runName: runId,
        now: runTime,
        parameters: { ...options.parameters, ...v.parameters },
        resolveParameter: earlierRunParameterResolver(deps.store, config.name, scope),
      })
      const resultId = newId('vr_')
      validations.push({
        batch: batch.description, suite_name: suite.name, suite_version: version, success: outcome.result.success,
        result_id: storing ? resultId : null, statistics: outcome.result.statistics, result: outcome.result,
      })
      resultRows.push({
        id: resultId, checkpoint: config.name, run_id: runId, suite_name: suite.name, suite_version: version, batch: batch.description,
        success: outcome.result.success, result: JSON.stringify(outcome.result, jsonReplacer), run_time: runTimeIso,
      })
      for (const m of outcome.metrics) {
        metricRows.push({
          result_id: resultId, checkpoint: config.name, batch: batch.description, suite_name: suite.name, suite_version: version,
          metric_name: m.name, metric_args: canonicalJson(m.args), value: typeof m.value === 'number' && Number.isFinite(m.value) ? m.value : null,
          value_json: JSON.stringify(m.value ?? null, jsonReplacer) ?? 'null', run_time: runTimeIso,
        })
      }
    }
    if (storing || recording) {
      await deps.store.transaction(async (tx) => {
        if (storing) for (const r of resultRows) await resultsRepo.insertResult(tx, r)
        if (recording) await metricsRepo.insertMetrics(tx, metricRows)
      })
    }
    const success = validations.every((v) => v.success)
    const run: Omit<CheckpointRun, 'actions'> = {
      checkpoint: config.name, run_id: runId, run_time: runTimeIso, success, fail_on_validation_failure: config.fail_on_validation_failure,
      validations, result_ids: validations.flatMap((v) => (v.result_id ? [v.result_id] : [])),
    }
    const outcomes: ActionOutcome[] = []
    for (const action of actions) outcomes.push(await runAction(action, run))
    return { ...run, actions: outcomes }
  }

  const runAction = async (action: CheckpointAction, run: Omit<CheckpointRun, 'actions'>): Promise<ActionOutcome> => {
    switch (action.type) {
      case 'store_result':
        return { type: action.type, ok: true, detail: `${run.result_ids.length} results stored` }
      case 'record_metrics':
        return { type: action.type, ok: true }
      case 'render_data_docs': {
        const output = action.output ? resolve(deps.repoDir, action.output) : deps.docsDir
        await service.buildDocs(output)
        return { type: action.type, ok: true, detail: output }
      }
      case 'webhook': {
        if (!webhookFires(action, run.success)) return { type: action.type, ok: true, detail: `skipped (notify_on ${action.notify_on})` }
        try {
          const status = await postWebhook(action, webhookBody(run))
          return { type: action.type, ok: true, detail: `HTTP ${status}` }
        } catch (e) {
          deps.log?.warn({ checkpoint: run.checkpoint, url: action.url, err: (e as Error).message }, 'checkpoint webhook failed')
          return { type: action.type, ok: false, detail: (e as Error).message }
        }
      }
    }
  }

  const service: CheckpointService = {
    list: async () => Promise.all((await listNames()).map(load)),
    load,
    runCheckpoint,
    async latestCheckpointResult(name) {
      const [newest] = await resultsRepo.listResults(deps.store.db, { checkpoint: name, limit: 1 })
      if (!newest) return undefined
      const rows = await resultsRepo.listResults(deps.store.db, { checkpoint: name, runId: newest.run_id })
      return { checkpoint: name, run_id: newest.run_id, run_time: newest.run_time, success: rows.every((r) => r.success), result_ids: rows.map((r) => r.id).reverse() }
    },
    async results(filter = {}) {
      return (await resultsRepo.listResults(deps.store.db, { ...(filter.checkpoint !== undefined ? { checkpoint: filter.checkpoint } : {}), limit: filter.limit ?? 100 })).map(toStoredResult)
    },
    async result(id) {
      const row = await resultsRepo.getResult(deps.store.db, id)
      if (!row) throw Errors.notFound('validation result', id)
      return toStoredResult(row)
    },
    async buildDocs(output = deps.docsDir, limit = 500) {
      const rows = await resultsRepo.listResults(deps.store.db, { limit })
      const written = await writeDataDocs(output, rows.map(toDocsResult))
      return { output, pages: written.length }
    },
  }
  return service
}

function toStoredResult(row: ResultRow): StoredResult {
  return {
    id: row.id, checkpoint: row.checkpoint, run_id: row.run_id, suite_name: row.suite_name,
    suite_version: row.suite_version === null ? null : Number(row.suite_version), batch: row.batch, success: row.success,
    run_time: row.run_time, result: JSON.parse(row.result) as ValidationResult,
  }
}

function toDocsResult(row: ResultRow): DocsResult {
  const r = toStoredResult(row)
  return { id: r.id, checkpoint: r.checkpoint, suiteName: r.suite_name, suiteVersion: r.suite_version, batch: r.batch, success: r.success, runTime: r.run_time, result: r.result }
}

/** The webhook's JSON body: the verdict and a summary per validation (not the full results). */
function webhookBody(run: Omit<CheckpointRun, 'actions'>): Record<string, unknown> {
  return {
    checkpoint: run.checkpoint, run_id: run.run_id, run_time: run.run_time, success: run.success, result_ids: run.result_ids,
    validations: run.validations.map((v) => ({ batch: v.batch, suite_name: v.suite_name, suite_version: v.suite_version, success: v.success, result_id: v.result_id, statistics: v.statistics })),
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

/**
 * Fills `history` (and `now`) of the history-based expectations — interval checks and anomaly
 * rules — from the metric store, reading only the points each one needs. Kwargs that already carry
 * `history` are left alone.
 */
async function withHistory(suite: Suite, reader: MetricHistoryReader, scope: HistoryScope): Promise<Suite> {
  const expectations = await Promise.all(suite.expectations.map(async (e): Promise<ExpectationConfig> => {
    if (e.kwargs.history !== undefined) return e
    const needs = historyRequests(e, scope.runTime)
    if (!needs) return e
    const rowCondition = typeof e.kwargs.row_condition === 'string' && e.kwargs.row_condition ? { row_condition: e.kwargs.row_condition } : {}
    const entries = await Promise.all(needs.map(async ({ expression, atOrBefore, limit }) => {
      const points = await reader(scope, AGGREGATE_HISTORY_METRIC, { expression, ...rowCondition }, { ...(atOrBefore ? { atOrBefore } : {}), limit })
      return [expression, points.map((p) => ({ value: p.value, run_time: p.runTime }))] as const
    }))
    return { ...e, kwargs: { ...e.kwargs, history: Object.fromEntries(entries), now: e.kwargs.now ?? scope.runTime } }
  }))
  return { ...suite, expectations }
}

/** Which aggregate expressions' history an expectation needs, or undefined when it needs none. */
function historyRequests(e: ExpectationConfig, runTime: string): { expression: string; atOrBefore?: string; limit: number }[] | undefined {
  if (e.type === 'expect_table_metrics_to_pass_interval_check') {
    const thresholds = e.kwargs.metrics_thresholds
    if (!thresholds || typeof thresholds !== 'object') return undefined
    const daysBack = typeof e.kwargs.days_back === 'number' && e.kwargs.days_back > 0 ? e.kwargs.days_back : 7
    return Object.keys(thresholds).map((expression) => ({ expression, atOrBefore: daysBefore(runTime, daysBack), limit: 1 }))
  }
  if (e.type === 'expect_table_metric_to_not_be_anomalous' && typeof e.kwargs.metric === 'string') {
    const rule = anomalyRuleSchema.safeParse(e.kwargs.rule)
    if (!rule.success) return undefined // the expectation reports the bad rule itself
    return [{ expression: e.kwargs.metric, ...historyNeeded(rule.data, runTime) }]
  }
  return undefined
}



/**
 * A materialization gate backed by checkpoints: `suiteFor(view, version)` names the suite attached to
 * a feature view (asof.ts reads the view's `asof.suite` tag); with none attached the batch passes. The
 * batch is validated as the checkpoint `materialize.<view>`, its result and metrics stored like any
 * checkpoint's, and a failure refuses the batch. The signature is featurestore's MaterializationGate,
 * restated here because expectations does not import featurestore.
 */
export function createSuiteGate(
  checkpoints: Pick<CheckpointService, 'runCheckpoint'>,
  suiteFor: (view: string, version: number) => Promise<string | undefined>,
): (batch: { view: string; version: number; relation: Relation; engine: Engine }) => Promise<{ success: boolean; resultId?: string; message?: string }> {
  return async ({ view, version, relation, engine }) => {
    const suite = await suiteFor(view, version)
    if (!suite) return { success: true }
    const run = await checkpoints.runCheckpoint(
      { name: `materialize.${view}`, validations: [{ batch: { type: 'feature_view', name: view, version }, suite }] },
      { batches: [{ engine, relation, description: `feature_view:${view}@${version}` }] },
    )
    const [validation] = run.validations
    const failed = validation?.result.results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => r.expectation_config.type) ?? []
    return {
      success: run.success,
      ...(run.result_ids[0] ? { resultId: run.result_ids[0] } : {}),
      ...(run.success ? {} : { message: `suite ${suite} failed on ${view}@${version}: ${failed.join(', ')}` }),
    }
  }
}
