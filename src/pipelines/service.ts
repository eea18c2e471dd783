import { Errors, type Logger } from '../core/index.js'
import type { BatchResolver } from '../expectations/index.js'
import { runsRepo, type MetadataStore, type RunRow } from '../metadata/index.js'
import { BUILTIN_TASKS } from './builtin-tasks.js'
import { loadPipelines, type PipelineSpec } from './definition.js'
import type { ModelRegistry } from './models/model-registry.js'
import { PipelineRunner, type RunSummary, type RunView } from './runner.js'
import { backfillDates, intervalFor, isoDate } from './schedule/backfill.js'
import { Scheduler, type SchedulerOptions } from './schedule/scheduler.js'
import { TaskRegistry, type JsonValue } from './task.js'

export interface PipelinesServiceOptions {
  metadata: MetadataStore
  /** The feature repo: pipelines are read from `<repoDir>/pipelines`, sensor paths are relative to it. */
  repoDir: string
  /** `.asof`: artifacts and task scratch space live under it. */
  home: string
  log: Logger
  /** Task types beyond the built-in ones (training, validation…). */
  tasks?: TaskRegistry
  /** Reads drift sensors' batches (the composition root's resolver). */
  resolveBatch?: BatchResolver
  /** Drift sensors' model references. */
  models?: ModelRegistry
  now?: () => Date
  sleep?: (ms: number) => Promise<void>
}

export interface RunRequest {
  params?: Record<string, JsonValue>
  logicalDate?: string
  /** False: no task of this run reuses cached outputs. */
  cache?: boolean
}

/** A run started in the background: as stored when it started, and its end. */
export interface StartedRun extends RunSummary {
  /** Settles when the run ends (rejects only when its bookkeeping fails, e.g. the database closed under it). */
  done: Promise<RunSummary>
}

export interface BackfillRequest {
  from: string
  to: string
  /** Also re-run dates whose run already succeeded (Airflow's `--reset-dagruns`). */
  rerunSucceeded?: boolean
  cache?: boolean
}

export interface BackfillResult {
  runs: RunSummary[]
  /** Logical dates left alone because their run had succeeded. */
  skipped: string[]
}

/** A backfill started in the background: its runs as stored (queued), and its end. */
export interface StartedBackfill extends BackfillResult {
  /** Settles when the last run ends. */
  done: Promise<BackfillResult>
}

/** The pipelines service the CLI and the API call: list, run, resume, backfill, runs, show, scheduler. */
export class PipelinesService {
  /** Task types pipelines can `use`; services register theirs here when asof opens. */
  readonly tasks: TaskRegistry
  readonly runner: PipelineRunner
  /** Ids of the runs this process executes in the background, until each ends. */
  private readonly executing = new Set<string>()
  private serial: Promise<unknown> = Promise.resolve()

  constructor(private readonly options: PipelinesServiceOptions) {
    this.tasks = options.tasks ?? new TaskRegistry()
    for (const t of BUILTIN_TASKS) if (!this.tasks.get(t.name)) this.tasks.register(t)
    this.runner = new PipelineRunner({
      metadata: options.metadata, tasks: this.tasks, home: options.home, log: options.log, now: options.now, sleep: options.sleep,
    })
  }

  /** Every pipeline in the repo, read fresh (definitions change while a server runs). */
  /** The repo's pipelines; a task naming an unknown task type is bad input here, when read, not when it runs. */
  list(): PipelineSpec[] {
    const pipelines = loadPipelines(this.options.repoDir)
    for (const p of pipelines) this.runner.checkTaskTypes(p)
    return pipelines
  }

  get(name: string): PipelineSpec {
    const all = this.list()
    const p = all.find((x) => x.name === name)
    if (!p) throw Errors.notFound('pipeline', name, all.map((x) => x.name))
    return p
  }

  /** Runs a pipeline now and waits for its end (logical date: now, or the given one, replacing that date's earlier run). */
  async run(name: string, request: RunRequest = {}): Promise<RunSummary> {
    return (await this.start(name, request)).done
  }

  /**
   * Creates a run and executes it in the background: answers as soon as the run is stored, with
   * the run as it is then. Bad input fails before anything is stored; a run of the same
   * (pipeline, logical date) still queued or running is a conflict naming it, not a second run.
   */
  async start(name: string, request: RunRequest = {}): Promise<StartedRun> {
    const p = this.get(name)
    return this.oneAtATime(async () => {
      // validates params and fixes the logical date (now) before anything is stored
      const draft = this.runner.newRun(p, { ...request, trigger: 'manual' })
      const run = await this.create(p, draft)
      return this.launch(run.id)
    })
  }

  /** Finishes an interrupted run and waits for its end. */
  async resume(runId: string): Promise<RunSummary> {
    return (await this.startResume(runId)).done
  }

  /** resume, answering once the run is released for execution here (the rest runs in the background). */
  async startResume(runId: string): Promise<StartedRun> {
    return this.oneAtATime(async () => {
      if (this.executing.has(runId)) throw Errors.conflict(`run ${runId} is already being executed by this process`)
      await this.runner.prepareResume(runId)
      return this.launch(runId)
    })
  }

  /**
   * Marks the runs this process is still executing as lost at once (the process is stopping and
   * cannot finish them), so nobody mistakes them for alive while their heartbeat ages; each can
   * be finished with `asof pipeline resume`.
   */
  async interruptRuns(reason: string): Promise<string[]> {
    const ids = [...this.executing]
    for (const id of ids) {
      await runsRepo.updateRun(this.options.metadata.db, id, { heartbeat_at: null, note: `interrupted: ${reason}` })
    }
    return ids
  }

  /** Executes a stored run in the background; resolves with the run as it is now. */
  private async launch(runId: string): Promise<StartedRun> {
    const done = this.execute(runId)
    return { ...(await this.show(runId)), done }
  }

  /** Executes a stored run, tracked until it ends (interruptRuns marks it when the process stops first). */
  private execute(runId: string): Promise<RunSummary> {
    const done = this.runner.execute(runId)
    this.executing.add(runId)
    done
      .catch((e) => this.options.log.error({ err: e, run: runId }, 'run stopped before its end'))
      .finally(() => this.executing.delete(runId))
    return done
  }

  /**
   * Stores the run drafted as `draft`, refusing (in the same transaction) to replace a run of that
   * date still in progress. Another process may insert one between that check and the insert;
   * the run's unique key then refuses ours, and that is the same conflict, not a failure.
   */
  private async create(p: PipelineSpec, draft: RunRow): Promise<RunRow> {
    const check = (earlier: RunRow) => this.refuseInProgress(earlier)
    try {
      return await this.runner.storeRun(p, draft, check)
    } catch (e) {
      const earlier = await runsRepo.findRun(this.options.metadata.db, draft.pipeline, draft.logical_date)
      if (earlier) check(earlier)
      throw e
    }
  }

  /** A conflict when `earlier` (a run of the date about to run) is queued, or running on a live worker. */
  private refuseInProgress(earlier: RunRow): void {
    if (earlier.state === 'queued' || (earlier.state === 'running' && !this.runner.view(earlier).worker_lost)) {
      throw Errors.conflict(`pipeline ${earlier.pipeline} already has run ${earlier.id} ${earlier.state} for logical date ${earlier.logical_date}; wait for it (asof pipeline show ${earlier.id}) before running that date again`)
    }
  }

  /** Check-then-create sections run one at a time in this process, so two requests cannot both pass the check. */
  private oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const result = this.serial.then(work)
    this.serial = result.catch(() => undefined)
    return result
  }

  /**
   * Runs every logical date of the schedule from `from` to `to` (inclusive), oldest first, and
   * waits for them. Dates whose run already succeeded are skipped unless `rerunSucceeded`; others are replaced.
   */
  async backfill(name: string, request: BackfillRequest): Promise<BackfillResult> {
    return (await this.startBackfill(name, request)).done
  }

  /**
   * backfill, answering once every run is stored (queued); they execute here one at a time,
   * oldest first. A date whose run is queued or running is a conflict, before anything is stored.
   */
  async startBackfill(name: string, request: BackfillRequest): Promise<StartedBackfill> {
    const p = this.get(name)
    return this.oneAtATime(async () => {
      const skipped: string[] = []
      const drafts: RunRow[] = []
      for (const date of backfillDates(p, request.from, request.to)) {
        const draft = this.runner.newRun(p, { logicalDate: isoDate(date), dataInterval: intervalFor(p, date), trigger: 'backfill', cache: request.cache })
        // every date is checked before any run is stored
        const existing = await runsRepo.findRun(this.options.metadata.db, draft.pipeline, draft.logical_date)
        if (existing) this.refuseInProgress(existing)
        if (existing?.state === 'success' && !request.rerunSucceeded) skipped.push(draft.logical_date)
        else drafts.push(draft)
      }
      const runs: RunRow[] = []
      for (const d of drafts) runs.push(await this.create(p, d))
      let previous: Promise<unknown> = Promise.resolve()
      const ends = runs.map((run) => (previous = previous.then(() => this.execute(run.id))) as Promise<RunSummary>)
      const done = Promise.all(ends).then((summaries) => ({ runs: summaries, skipped }))
      done.catch(() => undefined) // each run's failure is logged where it executes
      return { runs: await Promise.all(runs.map((r) => this.show(r.id))), skipped, done }
    })
  }

  /** Runs, newest logical date first; a running one whose worker died says so (`worker_lost`). */
  async runs(filter: { pipeline?: string; limit?: number } = {}): Promise<RunView[]> {
    return (await runsRepo.listRuns(this.options.metadata.db, filter)).map((r) => this.runner.view(r))
  }

  /** A run with its task instances. */
  async show(runId: string): Promise<RunSummary> {
    const run = this.runner.view(await this.runner.getRun(runId))
    return { run, tasks: await runsRepo.listTaskRuns(this.options.metadata.db, runId) }
  }

  /** A scheduler over this repo's pipelines; call `start()` to tick with node-cron, or `tick()` yourself. */
  scheduler(options: Pick<SchedulerOptions, 'now' | 'pollSeconds' | 'onRun'> = {}): Scheduler {
    return new Scheduler({
      metadata: this.options.metadata, runner: this.runner, pipelines: () => this.list(),
      repoDir: this.options.repoDir, log: this.options.log, now: options.now ?? this.options.now, pollSeconds: options.pollSeconds,
      resolveBatch: this.options.resolveBatch, models: this.options.models, onRun: options.onRun,
    })
  }
}

/** Starts the scheduler of an open asof's pipelines service (used by `asof pipeline scheduler` and `asof serve`). */
export function startScheduler(service: PipelinesService, options: Pick<SchedulerOptions, 'pollSeconds' | 'onRun'> = {}): Scheduler {
  const scheduler = service.scheduler(options)
  scheduler.start()
  return scheduler
}
