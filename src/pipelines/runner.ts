import { join } from 'node:path'
import { Errors, newId, normalizeTimestamp, parseOrThrow, type Logger } from '../core/index.js'
import type { Kysely } from '../engines/index.js'
import { runsRepo, type MetadataSchema, type MetadataStore, type RunRow, type RunTrigger, type TaskKey, type TaskRunRow, type TaskState } from '../metadata/index.js'
import { artifactStore, artifactsIntact } from './artifacts.js'
import { cacheKey, cacheNotBefore } from './cache.js'
import { pipelineHash, topologicalOrder, type PipelineSpec, type TaskSpec } from './definition.js'
import { intervalFor } from './schedule/backfill.js'
import { backoffSeconds, isFinal, runSucceeded, triggerDecision } from './task-state.js'
import { lookup, renderTemplate } from './template.js'
import type { DataInterval, JsonValue, TaskContext, TaskRegistry } from './task.js'
import { currentWorker, workerLost } from './worker.js'

/** Largest JSON output passed downstream through the metadata store; bigger ones belong in artifacts. */
export const MAX_OUTPUT_BYTES = 64 * 1024

/** What a task that declares `readsInputs: false` sees as `ctx.inputs`. */
const NO_INPUTS: Readonly<Record<string, JsonValue>> = Object.freeze({})

/** The row of an unmapped task, and the summary row of a mapped one. */
const WHOLE_TASK = -1

export interface RunnerOptions {
  metadata: MetadataStore
  tasks: TaskRegistry
  /** `<home>`: artifacts go to `<home>/artifacts`, task scratch space to `<home>/scratch`. */
  home: string
  log: Logger
  /** The clock (tests inject one). */
  now?: () => Date
  /** How the runner waits between retries (tests inject one that does not wait). */
  sleep?: (ms: number) => Promise<void>
  /** Names this process in `claimed_by`. */
  workerId?: string
  /** Seconds between a running run's heartbeats (default 10); a run is lost after three missed. */
  heartbeatSeconds?: number
}

export interface StartRunOptions {
  /** Defaults to now. */
  logicalDate?: string
  /** Defaults to [logicalDate, next cron tick) for a scheduled pipeline, else [logicalDate, logicalDate]. */
  dataInterval?: DataInterval
  params?: Record<string, JsonValue>
  trigger?: RunTrigger
  /** False switches caching off for every task of this run. */
  cache?: boolean
}

/**
 * A run as shown: its params and definition as JSON objects (stored as text), and `worker_lost`
 * when it is still `running` but the process executing it is gone.
 */
export type RunView = Omit<RunRow, 'params' | 'definition'> & {
  params: Record<string, JsonValue>
  definition: PipelineSpec
  worker_lost: boolean
}

/** One task instance of a run: its state, tries, times, outputs. */
export type TaskRun = TaskRunRow

export interface RunSummary {
  run: RunView
  tasks: TaskRunRow[]
}

interface InFlight {
  promise: Promise<void>
  taskId: string
}

/**
 * The DAG runner. Every state change goes through the runs repo before and after a task runs, so
 * a process killed at any point leaves a run that `resume` finishes: final task instances are
 * never run again, the one that was running starts over (tasks are idempotent).
 */
export class PipelineRunner {
  private readonly now: () => Date
  private readonly sleep: (ms: number) => Promise<void>
  readonly workerId: string
  private readonly heartbeatSeconds: number
  /** PostgreSQL claims rows `for update skip locked`; DuckDB has one writer, the conditional UPDATE suffices. */
  private readonly claimOptions: { skipLocked: boolean }

  constructor(private readonly options: RunnerOptions) {
    this.now = options.now ?? (() => new Date())
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)))
    this.workerId = options.workerId ?? newId('worker_')
    this.heartbeatSeconds = options.heartbeatSeconds ?? 10
    this.claimOptions = { skipLocked: options.metadata.engine.kind === 'postgres' }
  }

  /** Checks that every task's `uses` names a known task type. */
  checkTaskTypes(p: PipelineSpec): void {
    for (const t of p.tasks) {
      if (!this.options.tasks.get(t.uses)) throw Errors.unknownReference(`${p.source}: pipeline ${p.name}: task ${t.id}: uses`, 'task type', t.uses, this.options.tasks.names())
    }
  }

  /** The run row for a new run of `p` (not yet stored). */
  newRun(p: PipelineSpec, o: StartRunOptions = {}): RunRow {
    this.checkTaskTypes(p)
    const now = this.now()
    const logicalDate = normalizeTimestamp(o.logicalDate ?? now.toISOString(), 'logical date')
    const interval = o.dataInterval ?? intervalFor(p, new Date(logicalDate))
    const unknown = Object.keys(o.params ?? {}).filter((k) => !(k in p.params))
    if (unknown.length) throw Errors.unknownReference(`pipeline ${p.name}: params`, 'parameter', unknown[0]!, Object.keys(p.params))
    return {
      id: newId('run_'),
      pipeline: p.name,
      logical_date: logicalDate,
      data_interval_start: normalizeTimestamp(interval.start, 'data interval start'),
      data_interval_end: normalizeTimestamp(interval.end, 'data interval end'),
      state: 'queued',
      trigger: o.trigger ?? 'manual',
      params: JSON.stringify({ ...p.params, ...o.params }),
      definition: JSON.stringify(p),
      definition_hash: pipelineHash(p),
      cache: (o.cache ?? true) && p.cache,
      note: null,
      created_at: now.toISOString(),
      started_at: null,
      ended_at: null,
      worker: null,
      heartbeat_at: null,
    }
  }

  /**
   * Creates the run for (pipeline, logical date), replacing an earlier run of that date, and its
   * pending task instances. Returns the stored run.
   */
  createRun(p: PipelineSpec, o: StartRunOptions = {}): Promise<RunRow> {
    return this.storeRun(p, this.newRun(p, o))
  }

  /** createRun for a run already drafted by newRun; `check` sees an earlier run of that date first and may refuse it by throwing. */
  async storeRun(p: PipelineSpec, run: RunRow, check?: (earlier: RunRow) => void): Promise<RunRow> {
    await this.options.metadata.transaction(async (tx) => {
      await runsRepo.replaceRun(tx, run, check)
      await runsRepo.insertTaskRuns(tx, p.tasks.map((t) => pendingRow(run.id, t.id, WHOLE_TASK)))
    })
    return run
  }

  /**
   * Claims a run for (pipeline, logical date) only if that date has none yet: true when this
   * caller won (the scheduler's exactly-once tick). The task instances are created with it, inside
   * `tx` when given (to commit together with the caller's own claim).
   */
  async claimRun(p: PipelineSpec, o: StartRunOptions, tx?: Kysely<MetadataSchema>): Promise<RunRow | undefined> {
    if (!tx) return this.options.metadata.transaction((t) => this.claimRun(p, o, t))
    const run = this.newRun(p, o)
    if (!(await runsRepo.claimRun(tx, run))) return undefined
    await runsRepo.insertTaskRuns(tx, p.tasks.map((t) => pendingRow(run.id, t.id, WHOLE_TASK)))
    return run
  }

  /** Creates a run and executes it to the end. */
  async run(p: PipelineSpec, o: StartRunOptions = {}): Promise<RunSummary> {
    const run = await this.createRun(p, o)
    return this.execute(run.id)
  }

  /**
   * Continues a run interrupted by a crash: instances left `running` start over, final ones are
   * kept. A run whose worker is still alive is refused: its running tasks would run twice.
   */
  async resume(runId: string): Promise<RunSummary> {
    await this.prepareResume(runId)
    return this.execute(runId)
  }

  /**
   * resume's check and release, without executing (the API answers before the run continues):
   * the run is queued again, so it no longer shows a lost worker and a scheduler adopts it if
   * this process stops before executing it.
   */
  async prepareResume(runId: string): Promise<void> {
    const run = this.view(await this.getRun(runId))
    if (run.state === 'running' && !run.worker_lost) {
      throw Errors.conflict(`run ${runId} is being executed by ${run.worker} (heartbeat at ${run.heartbeat_at}); resume is for runs whose worker died`)
    }
    await this.options.metadata.transaction(async (tx) => {
      await runsRepo.releaseRunningTasks(tx, runId)
      await runsRepo.updateRun(tx, runId, { state: 'queued', note: null, worker: null, heartbeat_at: null })
    })
  }

  /** The run with whether its worker is lost (as of this runner's clock). */
  view(run: RunRow): RunView {
    return {
      ...run,
      params: JSON.parse(run.params) as Record<string, JsonValue>,
      definition: JSON.parse(run.definition) as PipelineSpec,
      worker_lost: run.state === 'running' && workerLost(run, this.now(), this.heartbeatSeconds),
    }
  }

  async getRun(runId: string): Promise<RunRow> {
    const run = await runsRepo.getRun(this.options.metadata.db, runId)
    if (!run) {
      const recent = await runsRepo.listRuns(this.options.metadata.db, { limit: 5 })
      throw Errors.notFound('run', runId, recent.map((r) => r.id))
    }
    return run
  }

  /** Runs every task instance of a stored run that can run, until none is left; returns the final state. */
  async execute(runId: string): Promise<RunSummary> {
    const db = this.options.metadata.db
    const run = await this.getRun(runId)
    const spec = JSON.parse(run.definition) as PipelineSpec
    const worker = currentWorker()
    await runsRepo.updateRun(db, runId, {
      state: 'running', started_at: run.started_at ?? this.now().toISOString(), ended_at: null, note: null, worker, heartbeat_at: this.now().toISOString(),
    })
    const stopHeartbeat = this.startHeartbeat(runId, worker)
    try {
      await this.executeTasks(run, spec)
    } finally {
      await stopHeartbeat()
    }
    return this.finish(runId, spec)
  }

  /** Beats every `heartbeatSeconds` until the returned function is called (it waits for a beat in flight). */
  private startHeartbeat(runId: string, worker: string): () => Promise<void> {
    let beat: Promise<unknown> = Promise.resolve()
    const timer = setInterval(() => {
      beat = runsRepo.heartbeat(this.options.metadata.db, runId, worker, this.now().toISOString())
        .catch((e) => this.options.log.warn({ err: e, run: runId }, 'heartbeat not recorded'))
    }, this.heartbeatSeconds * 1000)
    timer.unref()
    return async () => {
      clearInterval(timer)
      await beat
    }
  }

  /** Runs every task instance of the run that can run, until none is left. */
  private async executeTasks(run: RunRow, spec: PipelineSpec): Promise<void> {
    const db = this.options.metadata.db
    const runId = run.id
    const order = topologicalOrder(spec)
    const byId = new Map(spec.tasks.map((t) => [t.id, t]))
    const inFlight = new Map<string, InFlight>()
    let settled = 0 // instances finished here; a change means the rows just read may be stale
    for (;;) {
      const settledBefore = settled
      const rows = await runsRepo.listTaskRuns(db, runId)
      const whole = new Map(rows.filter((r) => r.map_index === WHOLE_TASK).map((r) => [r.task_id, r]))
      const instances = (taskId: string) => rows.filter((r) => r.task_id === taskId && r.map_index !== WHOLE_TASK)
      let progressed = false

      for (const taskId of order) {
        const task = byId.get(taskId)!
        const row = whole.get(taskId)!
        if (isFinal(row.state)) continue
        if (row.state === 'running' && !task.map_over) continue // executing here (or claimed elsewhere)
        if (row.state === 'pending') {
          const decision = triggerDecision(task.trigger_rule, task.depends_on.map((d) => whole.get(d)!.state))
          if (decision === undefined) continue
          if (decision !== 'run') {
            await runsRepo.updateTaskRun(db, keyOf(row), { state: decision, ended_at: this.now().toISOString() })
            progressed = true
            continue
          }
          if (task.map_over) {
            progressed = (await this.expand(run, task, row, whole)) || progressed
            continue
          }
          if (inFlight.size >= spec.max_active_tasks) continue
          progressed = this.launch(inFlight, run, spec, task, row, whole, () => settled++) || progressed
          continue
        }
        // a mapped task that has been expanded: start instances up to its limit, then summarize
        const mine = instances(taskId)
        if (mine.every((r) => isFinal(r.state))) {
          await this.summarizeMapped(row, mine)
          progressed = true
          continue
        }
        const limit = task.max_active ?? Number.POSITIVE_INFINITY
        let active = [...inFlight.values()].filter((f) => f.taskId === taskId).length
        for (const inst of mine) {
          if (inst.state !== 'pending' || active >= limit || inFlight.size >= spec.max_active_tasks) continue
          if (this.launch(inFlight, run, spec, task, inst, whole, () => settled++)) {
            active++
            progressed = true
          }
        }
      }

      if (progressed || settled !== settledBefore) continue
      if (inFlight.size === 0) break
      await Promise.race([...inFlight.values()].map((f) => f.promise))
    }
  }

  /** Starts one task instance in the background unless it is already running here; false if it was. */
  private launch(inFlight: Map<string, InFlight>, run: RunRow, spec: PipelineSpec, task: TaskSpec, row: TaskRunRow, whole: Map<string, TaskRunRow>, onSettled: () => void): boolean {
    const key = `${row.task_id}#${row.map_index}`
    if (inFlight.has(key)) return false
    const inputs = Object.fromEntries(task.depends_on.map((d) => [d, parseOutput(whole.get(d)!)]))
    const promise = this.runInstance(run, spec, task, keyOf(row), inputs)
      .catch((e) => this.options.log.error({ err: e, run: run.id, task: key }, 'task bookkeeping failed'))
      .finally(() => { inFlight.delete(key); onSettled() })
    inFlight.set(key, { promise, taskId: task.id })
    return true
  }

  /** Turns a pending mapped task into one pending instance per item of its upstream list. */
  private async expand(run: RunRow, task: TaskSpec, row: TaskRunRow, whole: Map<string, TaskRunRow>): Promise<boolean> {
    const db = this.options.metadata.db
    const now = this.now().toISOString()
    if (!(await runsRepo.claimTask(db, keyOf(row), this.workerId, now, this.claimOptions))) return false
    let items: JsonValue
    try {
      items = mappedList(task, Object.fromEntries(task.depends_on.map((d) => [d, parseOutput(whole.get(d)!)])))
      if (!Array.isArray(items)) throw Errors.badInput(`task ${task.id}: map_over`, `${task.map_over} is not a list (got ${JSON.stringify(items)?.slice(0, 80)})`)
    } catch (e) {
      await runsRepo.updateTaskRun(db, keyOf(row), { state: 'failed', error: (e as Error).message, ended_at: now })
      return true
    }
    await runsRepo.insertTaskRuns(db, items.map((_item, i) => pendingRow(run.id, task.id, i)))
    if (items.length === 0) await runsRepo.updateTaskRun(db, keyOf(row), { state: 'success', output: '[]', ended_at: now })
    return true
  }

  /** A mapped task's summary: success with the list of outputs when every instance succeeded. */
  private async summarizeMapped(row: TaskRunRow, instances: TaskRunRow[]): Promise<void> {
    const failed = instances.filter((r) => r.state !== 'success')
    await runsRepo.updateTaskRun(this.options.metadata.db, keyOf(row), failed.length
      ? { state: 'failed', error: `${failed.length} of ${instances.length} mapped instances did not succeed (first: #${failed[0]!.map_index} ${failed[0]!.state}${failed[0]!.error ? `: ${failed[0]!.error}` : ''})`, ended_at: this.now().toISOString() }
      : { state: 'success', output: JSON.stringify(instances.map(parseOutput)), ended_at: this.now().toISOString() })
  }

  /** Claims, (cache-)executes with retries and timeout, and records one task instance. */
  private async runInstance(run: RunRow, spec: PipelineSpec, task: TaskSpec, key: TaskKey, inputs: Record<string, JsonValue>): Promise<void> {
    const db = this.options.metadata.db
    if (!(await runsRepo.claimTask(db, key, this.workerId, this.now().toISOString(), this.claimOptions))) return
    const definition = this.options.tasks.get(task.uses)!
    const runParams = JSON.parse(run.params) as Record<string, JsonValue>
    const mapped = key.map_index !== WHOLE_TASK
    const fail = (message: string) => runsRepo.updateTaskRun(db, key, { state: 'failed', error: message, ended_at: this.now().toISOString() })

    let params: unknown
    let mapItem: JsonValue | undefined
    try {
      if (mapped) {
        const list = mappedList(task, inputs) as JsonValue[]
        mapItem = list[key.map_index]
      }
      const scope = {
        params: runParams, inputs, item: mapItem, run_id: run.id,
        logical_date: run.logical_date, ds: run.logical_date.slice(0, 10),
        data_interval_start: run.data_interval_start, data_interval_end: run.data_interval_end,
      }
      const where = `pipeline ${spec.name}: task ${task.id}: params`
      params = parseOrThrow(definition.params, renderTemplate(task.params, scope, where), where)
    } catch (e) {
      return fail((e as Error).message)
    }

    const cacheable = run.cache && task.cache && definition.cacheable !== false
    const keyHash = cacheable ? cacheKey({ uses: task.uses, version: definition.version, params, inputs, readsInputs: definition.readsInputs, mapItem }) : null
    if (keyHash) {
      const hit = await runsRepo.findCachedTaskRun(db, keyHash, cacheNotBefore(this.now(), task.max_cache_staleness))
      if (hit && hit.output !== null && (await artifactsIntact(JSON.parse(hit.output)))) {
        this.options.log.info({ run: run.id, task: task.id, from: hit.run_id }, 'cache hit')
        await runsRepo.updateTaskRun(db, key, { state: 'success', output: hit.output, cache_key: keyHash, cached_from: hit.run_id, error: null, ended_at: this.now().toISOString() })
        return
      }
    }

    const taskKey = mapped ? `${task.id}.${key.map_index}` : task.id
    const home = this.options.home
    let attempt = (await runsRepo.listTaskRuns(db, run.id)).find((r) => r.task_id === key.task_id && r.map_index === key.map_index)!.attempt
    for (;;) {
      const controller = new AbortController()
      const timeout = task.timeout === undefined ? undefined
        : setTimeout(() => controller.abort(Errors.busy(`task ${task.id} timed out after ${task.timeout}s`)), task.timeout * 1000)
      const ctx: TaskContext = {
        runId: run.id, pipeline: spec.name, taskId: task.id, mapIndex: mapped ? key.map_index : undefined, mapItem,
        logicalDate: run.logical_date, dataInterval: { start: run.data_interval_start, end: run.data_interval_end },
        attempt, runParams, inputs: definition.readsInputs === false ? NO_INPUTS : inputs,
        artifacts: artifactStore(join(home, 'artifacts'), spec.name, run.id, taskKey),
        scratchDir: join(home, 'scratch', spec.name, run.id, taskKey),
        signal: controller.signal,
        log: this.options.log.child({ run: run.id, task: taskKey, attempt }),
        now: this.now,
      }
      try {
        const output = await raceAbort(definition.run(ctx, params), controller.signal)
        const text = JSON.stringify(output ?? null)
        if (Buffer.byteLength(text) > MAX_OUTPUT_BYTES) {
          throw Errors.tooLarge(`task ${task.id}: output is ${Buffer.byteLength(text)} bytes, more than the ${MAX_OUTPUT_BYTES} passed between tasks; write it with ctx.artifacts and return the reference`)
        }
        await runsRepo.updateTaskRun(db, key, { state: 'success', output: text, cache_key: keyHash, cached_from: null, error: null, ended_at: this.now().toISOString() })
        return
      } catch (e) {
        const message = (e as Error).message ?? String(e)
        if (attempt > task.retries) return fail(message)
        const delay = backoffSeconds(task.retry_delay, task.max_retry_delay, attempt)
        this.options.log.warn({ run: run.id, task: taskKey, attempt, delay, err: message }, 'task failed; retrying')
        await runsRepo.updateTaskRun(db, key, { error: message })
        await this.sleep(delay * 1000)
        attempt += 1
        await runsRepo.updateTaskRun(db, key, { attempt })
      } finally {
        clearTimeout(timeout)
      }
    }
  }

  /** Sets the run's final state from its leaf tasks, with a note naming the first failure. */
  private async finish(runId: string, spec: PipelineSpec): Promise<RunSummary> {
    const db = this.options.metadata.db
    const tasks = await runsRepo.listTaskRuns(db, runId)
    const whole = tasks.filter((r) => r.map_index === WHOLE_TASK)
    const upstreamOfSomething = new Set(spec.tasks.flatMap((t) => t.depends_on))
    const leaves = whole.filter((r) => !upstreamOfSomething.has(r.task_id))
    const unfinished = whole.filter((r) => !isFinal(r.state))
    const failedTask = whole.find((r) => r.state === 'failed')
    let state: RunRow['state']
    let note: string | null = null
    if (unfinished.length) {
      // another worker holds the rest (or the process is stopping): leave the run running
      state = 'running'
    } else if (runSucceeded(leaves.map((r) => r.state as TaskState))) {
      state = 'success'
    } else {
      state = 'failed'
      note = failedTask ? `task ${failedTask.task_id} failed: ${failedTask.error ?? 'no message'}` : 'a leaf task did not succeed'
    }
    await runsRepo.updateRun(db, runId, { state, note, ended_at: state === 'running' ? null : this.now().toISOString() })
    return { run: this.view(await this.getRun(runId)), tasks }
  }
}

function pendingRow(runId: string, taskId: string, mapIndex: number): TaskRunRow {
  return {
    run_id: runId, task_id: taskId, map_index: mapIndex, state: 'pending', attempt: 0,
    cache_key: null, cached_from: null, output: null, error: null, claimed_by: null, started_at: null, ended_at: null,
  }
}

function keyOf(row: TaskRunRow): TaskKey {
  return { run_id: row.run_id, task_id: row.task_id, map_index: Number(row.map_index) }
}

function parseOutput(row: TaskRunRow): JsonValue {
  return row.output === null ? null : (JSON.parse(row.output) as JsonValue)
}

/** What a mapped task maps over: its `map_over` path (`task` or `task.field…`) into its inputs. */
function mappedList(task: TaskSpec, inputs: Record<string, JsonValue>): JsonValue {
  return lookup(task.map_over!, inputs, `task ${task.id}: map_over`)
}

/** Settles with the task's promise, or rejects as soon as the signal aborts (a task that ignores it cannot hang the run). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return Promise.race([work, new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })])
}

