import type { z } from 'zod'
import type { Logger } from '../core/index.js'
import type { ArtifactRef, ArtifactStore } from './artifacts.js'

/** A JSON value: what a task returns and what flows downstream (Airflow's XCom). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue }

/** The half-open window of data a run covers: `[start, end)`, ISO-8601 UTC. */
export interface DataInterval {
  readonly start: string
  readonly end: string
}

/**
 * What a running task instance sees. Everything a task needs from the run comes through here,
 * so a task stays a pure function of (context, params) and can be re-run after a crash.
 */
export interface TaskContext {
  /** The pipeline run id (stable across `asof pipeline resume`). */
  readonly runId: string
  readonly pipeline: string
  /** The task's id inside the pipeline (`train`, or `train__small` for a generated copy). */
  readonly taskId: string
  /** For an instance of a mapped task: its position in the mapped list, and the item itself. */
  readonly mapIndex?: number
  readonly mapItem?: JsonValue
  /** The run's logical date (ISO-8601 UTC) and the data interval it covers, as in Airflow. */
  readonly logicalDate: string
  readonly dataInterval: DataInterval
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number
  /** The run's parameters (pipeline defaults overridden by `--param k=v`). */
  readonly runParams: Readonly<Record<string, JsonValue>>
  /**
   * Outputs of the upstream tasks, by task id. A mapped upstream gives the array of its
   * instances' outputs. Large outputs arrive as `ArtifactRef`s (path + content hash).
   */
  readonly inputs: Readonly<Record<string, JsonValue>>
  /** Writes large outputs under `.asof/artifacts/<pipeline>/<run>/<task>/`, returning references. */
  readonly artifacts: ArtifactStore
  /**
   * A directory that stays the same for this task instance across retries and `resume`, for
   * state a task checkpoints while it works (training epochs). Created on demand by the task.
   */
  readonly scratchDir: string
  /** Aborted when the task's timeout expires or the run is stopped; long work must check it. */
  readonly signal: AbortSignal
  readonly log: Logger
  /** The runner's clock (injected in tests). */
  now(): Date
}

/**
 * A task type that pipeline YAML names with `uses:`. Built-in types live in builtin-tasks.ts;
 * services add theirs (training, validation) through the registry passed to the runner.
 *
 * A task must be idempotent: after a crash it may run again with the same context.
 */
export interface TaskDefinition<P = any, O extends JsonValue = JsonValue> {
  /** The name pipelines refer to (`uses: train`). */
  readonly name: string
  readonly description: string
  /** Validates the task's `params:` after templating; errors name the task and field. */
  readonly params: z.ZodType<P>
  /**
   * Bumped when the implementation changes what it computes, so cached outputs of the old
   * code are not reused (part of the cache key).
   */
  readonly version?: string
  /** False for tasks with effects outside their outputs (webhooks, writes elsewhere): never cached. */
  readonly cacheable?: boolean
  /**
   * False for a task that takes upstream outputs only through its templated params
   * (`"{{ inputs.prepare.prepared }}"`), never from `ctx.inputs` (which it then sees empty): its
   * cache key covers its params and not every upstream output, so a dependency it only waits for
   * (a gate) does not defeat the cache. Default true.
   */
  readonly readsInputs?: boolean
  run(ctx: TaskContext, params: P): Promise<O>
}

export type { ArtifactRef, ArtifactStore }

/** The task types a runner knows, by name. */
export class TaskRegistry {
  private readonly tasks = new Map<string, TaskDefinition>()

  constructor(definitions: readonly TaskDefinition[] = []) {
    for (const d of definitions) this.register(d)
  }

  /** Adds a task type; a second type with the same name is a programming error. */
  register(definition: TaskDefinition): this {
    if (this.tasks.has(definition.name)) throw new Error(`task type ${definition.name} is registered twice`)
    this.tasks.set(definition.name, definition)
    return this
  }

  get(name: string): TaskDefinition | undefined {
    return this.tasks.get(name)
  }

  names(): string[] {
    return [...this.tasks.keys()].sort()
  }
}
