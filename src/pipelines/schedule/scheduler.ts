import cron, { type ScheduledTask } from 'node-cron'
import { type Logger } from '../../core/index.js'
import type { BatchResolver } from '../../expectations/index.js'
import { runsRepo, scheduleRepo, type MetadataStore, type RunRow } from '../../metadata/index.js'
import type { PipelineSpec } from '../definition.js'
import type { ModelRegistry } from '../models/model-registry.js'
import type { PipelineRunner } from '../runner.js'
import { dueDates, intervalFor, isoDate } from './backfill.js'
import { conditionHolds, leafKey, leavesOf, readLeaf } from './sensors.js'

export interface SchedulerOptions {
  metadata: MetadataStore
  runner: PipelineRunner
  /** The pipelines to schedule, read again on every tick (definitions may change). */
  pipelines: () => PipelineSpec[]
  repoDir: string
  log: Logger
  /** For drift sensors: reads their batches. */
  resolveBatch?: BatchResolver
  /** For drift sensors whose reference is a model alias. */
  models?: ModelRegistry
  now?: () => Date
  /** Seconds between ticks when started (default 30). */
  pollSeconds?: number
  /**
   * Told when this scheduler starts executing a run (`fired`: claimed on a tick; `adopted`: left
   * queued by a stopped scheduler) and when it ends: `asof pipeline scheduler` prints them.
   */
  onRun?: (event: SchedulerRunEvent) => void
}

export type SchedulerRunEvent =
  | { kind: 'fired' | 'adopted'; run: RunRow }
  | { kind: 'ended'; run: RunRow; state: RunRow['state']; note: string | null }

/** What one tick did. */
export interface TickResult {
  /** Runs this scheduler claimed (and, when started, executes). */
  claimed: RunRow[]
}

/**
 * The scheduler: on each tick it works out which (pipeline, logical date) runs are due — cron
 * intervals that ended since the last recorded tick (catchup), and sensor conditions that hold —
 * and claims each by inserting its run under the (pipeline, logical_date) unique key. Replicas on
 * one PostgreSQL database tick independently; the insert lets exactly one of them have each run
 * (graphile-worker's crontab idea), and the recorded last tick makes restarts neither miss nor
 * repeat runs.
 */
export class Scheduler {
  private readonly now: () => Date
  private task: ScheduledTask | undefined
  private queue: Promise<void> = Promise.resolve()

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? (() => new Date())
  }

  /** Claims every run due now. Does not execute them (start() does). */
  async tick(): Promise<TickResult> {
    const claimed: RunRow[] = []
    let pipelines: PipelineSpec[]
    try {
      pipelines = this.options.pipelines()
    } catch (e) {
      // a broken definition file must not stop the scheduler: say so on every tick until it is fixed
      this.options.log.error({ err: e }, 'cannot read pipeline definitions; nothing scheduled this tick')
      return { claimed }
    }
    for (const p of pipelines) {
      try {
        if (p.schedule) claimed.push(...(await this.cronTick(p)))
        if (p.sensors) {
          const run = await this.sensorTick(p)
          if (run) claimed.push(run)
        }
      } catch (e) {
        this.options.log.error({ err: e, pipeline: p.name }, 'scheduler tick failed for pipeline')
      }
    }
    return { claimed }
  }

  private async cronTick(p: PipelineSpec): Promise<RunRow[]> {
    const db = this.options.metadata.db
    const now = this.now()
    const last = await scheduleRepo.getLastTick(db, p.name)
    const claimed: RunRow[] = []
    for (const date of dueDates(p, now, last ? new Date(last) : undefined)) {
      const run = await this.options.runner.claimRun(p, { logicalDate: isoDate(date), dataInterval: intervalFor(p, date), trigger: 'schedule' })
      if (run) claimed.push(run)
      await scheduleRepo.advanceLastTick(db, p.name, isoDate(date), isoDate(now))
    }
    return claimed
  }

  /**
   * Starts a run when the pipeline's sensor condition holds. The changed leaves' fingerprints are
   * swapped compare-and-set in one transaction, so of replicas seeing the same change one wins.
   */
  private async sensorTick(p: PipelineSpec): Promise<RunRow | undefined> {
    const { metadata, repoDir, log, resolveBatch, models } = this.options
    const recorded = new Map((await scheduleRepo.listSensorStates(metadata.db, p.name)).map((r) => [r.sensor_key, r.fingerprint]))
    const readings = new Map<string, string | undefined>()
    for (const leaf of leavesOf(p.sensors!)) readings.set(leafKey(leaf), await readLeaf(leaf, { metadata, repoDir, log, resolveBatch, models }))
    const changed = (key: string) => readings.get(key) !== undefined && readings.get(key) !== recorded.get(key)
    if (!conditionHolds(p.sensors!, (leaf) => changed(leafKey(leaf)))) return undefined
    const now = new Date(this.now())
    now.setUTCMilliseconds(0) // replicas ticking within the same second claim the same logical date
    const at = isoDate(now)
    try {
      return await metadata.transaction(async (tx) => {
        for (const [key, fingerprint] of readings) {
          if (!changed(key)) continue
          if (!(await scheduleRepo.swapSensorFingerprint(tx, p.name, key, recorded.get(key), fingerprint!, at))) throw new LostRace()
        }
        const run = await this.options.runner.claimRun(p, { logicalDate: at, dataInterval: { start: at, end: at }, trigger: 'sensor' }, tx)
        if (!run) throw new LostRace() // this second's run exists already: keep the change for the next tick
        return run
      })
    } catch (e) {
      if (e instanceof LostRace) return undefined
      throw e
    }
  }

  /**
   * Ticks every `pollSeconds` with node-cron and executes the runs this process claimed, one at a
   * time. First it adopts runs left queued by a scheduler that stopped before starting them.
   */
  start(): void {
    if (this.task) return
    const seconds = Math.max(1, Math.min(59, Math.round(this.options.pollSeconds ?? 30)))
    this.task = cron.schedule(`*/${seconds} * * * * *`, () => this.tickAndRun().catch((e) => this.options.log.error({ err: e }, 'scheduler tick failed')), { noOverlap: true, timezone: 'UTC', name: 'asof-scheduler' })
    void this.adoptQueuedRuns().then(() => this.tickAndRun())
      .catch((e) => this.options.log.error({ err: e }, 'scheduler start failed'))
  }

  /** Starts (for execution here) every queued run no other worker has started; returns them. */
  async adoptQueuedRuns(): Promise<RunRow[]> {
    const db = this.options.metadata.db
    const adopted: RunRow[] = []
    for (const run of await runsRepo.listQueuedRuns(db)) {
      if (await runsRepo.startQueuedRun(db, run.id, isoDate(this.now()))) adopted.push(run)
    }
    this.enqueue(adopted, 'adopted')
    return adopted
  }

  /** One tick, then queue the claimed runs for execution; resolves when the tick (not the runs) is done. */
  async tickAndRun(): Promise<TickResult> {
    const result = await this.tick()
    this.enqueue(result.claimed, 'fired')
    return result
  }

  private enqueue(runs: RunRow[], kind: 'fired' | 'adopted'): void {
    for (const run of runs) {
      this.tell({ kind, run })
      this.queue = this.queue.then(async () => {
        const summary = await this.options.runner.execute(run.id)
        this.options.log.info({ run: run.id, pipeline: run.pipeline, state: summary.run.state }, 'scheduled run finished')
        this.tell({ kind: 'ended', run, state: summary.run.state, note: summary.run.note })
      }).catch((e) => this.options.log.error({ err: e, run: run.id }, 'scheduled run failed to execute'))
    }
  }

  /** A listener that throws must not stop the scheduler. */
  private tell(event: SchedulerRunEvent): void {
    try {
      this.options.onRun?.(event)
    } catch (e) {
      this.options.log.warn({ err: e }, 'scheduler run listener failed')
    }
  }

  /** Stops ticking and waits for the runs already queued. */
  async stop(): Promise<void> {
    await this.task?.stop()
    await this.task?.destroy()
    this.task = undefined
    await this.queue
  }
}

class LostRace extends Error {}
