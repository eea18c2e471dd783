import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { Errors, parseDurationSeconds, parseIsoDurationSeconds, parseOrThrow, normalizeTimestamp, hashValue } from '../core/index.js'
import { batchSpecSchema, DRIFT_TESTS, type DriftTest } from '../expectations/index.js'
import { validateCron } from './schedule/cron.js'
import type { JsonValue } from './task.js'

/**
 * Pipeline definitions: `pipelines/*.yaml|yml|json` in the feature repo. Field names follow
 * Airflow (depends_on, retries, retry_delay, trigger_rule, catchup, start_date) and Kubeflow
 * (max_cache_staleness); a `generate:` block is the DAG factory.
 */

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const name = (what: string) => z.string().regex(PLAIN_NAME, `${what} must be letters, digits and _, not starting with a digit`)
/** Any JSON value (params, outputs). */
export const json: z.ZodType<JsonValue> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(json), z.record(z.string(), json)]))
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDurationSeconds(v)
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message })
    return z.NEVER
  }
})
const isoDuration = z.string().transform((v, ctx) => {
  try {
    return parseIsoDurationSeconds(v)
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message })
    return z.NEVER
  }
})
const timestamp = z.union([z.string(), z.date()]).transform((v, ctx) => {
  try {
    return normalizeTimestamp(v instanceof Date ? v.toISOString() : v)
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message })
    return z.NEVER
  }
})

export const TRIGGER_RULES = ['all_success', 'all_done', 'one_failed'] as const
export type TriggerRule = (typeof TRIGGER_RULES)[number]

const taskSchema = z.object({
  id: name('task id'),
  uses: z.string().min(1),
  params: z.record(z.string(), json).default({}),
  depends_on: z.array(name('depends_on entry')).default([]),
  retries: z.number().int().min(0).max(100).default(0),
  /** First retry delay; each next one doubles (exponential backoff), capped by max_retry_delay. */
  retry_delay: duration.default(1),
  max_retry_delay: duration.default(300),
  /** Seconds (or `30s`, `5m`) before the task's signal aborts and the try fails. */
  timeout: duration.optional(),
  trigger_rule: z.enum(TRIGGER_RULES).default('all_success'),
  /** `task` or `task.field`: run one instance per element of that upstream output list. */
  map_over: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/).optional(),
  /** Most instances of a mapped task running at once. */
  max_active: z.number().int().positive().optional(),
  cache: z.boolean().default(true),
  /** ISO-8601 duration: cached outputs older than this are not reused (Kubeflow's max_cache_staleness). */
  max_cache_staleness: isoDuration.optional(),
}).strict()

export type TaskSpec = z.output<typeof taskSchema>

/**
 * Drift between a reference batch and a current one, with the expectations engine's tests
 * (Evidently's defaults, or `test` and `threshold` for every column). The reference is the training
 * dataset of the model version an alias points at now, or any batch.
 */
const driftSensor = z.object({
  /** A batch spec, or `{type: model, name, alias}`: the training dataset of the version the alias points at. */
  reference: z.discriminatedUnion('type', [
    z.object({ type: z.literal('model'), name: z.string().min(1), alias: z.string().min(1).default('champion') }).strict(),
    ...batchSpecSchema.options,
  ]),
  current: batchSpecSchema,
  /** Columns compared; default: the model's inputs, or (batch reference) every column in both batches. */
  columns: z.array(z.string().min(1)).min(1).optional(),
  test: z.enum(DRIFT_TESTS as [DriftTest, ...DriftTest[]]).optional(),
  threshold: z.number().positive().optional(),
  /** The batch drifts when at least this share of the compared columns drift. */
  drift_share: z.number().gt(0).max(1).default(0.5),
}).strict()
export type DriftSensor = z.output<typeof driftSensor>

const SENSOR_LEAVES = {
  file: z.object({ path: z.string().min(1) }).strict(),
  feature_view: z.object({ name: z.string().min(1), project: z.string().optional() }).strict(),
  checkpoint: z.object({ name: z.string().min(1) }).strict(),
  drift: driftSensor,
}
type LeafKind = keyof typeof SENSOR_LEAVES
/** One leaf condition: an object with exactly one of the leaf keys. */
export type SensorLeaf = { [K in LeafKind]: { [k in K]: z.output<(typeof SENSOR_LEAVES)[K]> } }[LeafKind]
export type SensorCondition = SensorLeaf | { all: SensorCondition[] } | { any: SensorCondition[] }
const CONDITION_KEYS = ['all', 'any', ...Object.keys(SENSOR_LEAVES)]
/*
 * One object with every key optional, then "exactly one key", rather than a union of one-key
 * objects: a mistake inside a leaf is reported at its path (`sensors.drift.test: …`), where a
 * union could only say that no alternative matched.
 */
const sensorCondition: z.ZodType<SensorCondition> = z.lazy(() => z.object({
  all: z.array(sensorCondition).min(1),
  any: z.array(sensorCondition).min(1),
  ...SENSOR_LEAVES,
}).partial().strict()
  .refine((c) => Object.keys(c).length === 1, `a sensor condition has exactly one of the keys ${CONDITION_KEYS.join(', ')}`)
  .transform((c) => c as SensorCondition))

const experimentSchema = z.object({ name: name('experiment name'), params: z.record(z.string(), json).default({}) }).strict()

const pipelineSchema = z.object({
  name: name('pipeline name'),
  description: z.string().default(''),
  /** Cron expression (5 or 6 fields, UTC); each tick is a logical date. */
  schedule: z.string().refine(validateCron, 'not a valid cron expression').optional(),
  catchup: z.boolean().default(false),
  start_date: timestamp.optional(),
  /** Sensor conditions evaluated on scheduler ticks; the cron schedule, if any, is the fallback. */
  sensors: sensorCondition.optional(),
  params: z.record(z.string(), json).default({}),
  max_active_tasks: z.number().int().positive().default(4),
  cache: z.boolean().default(true),
  /** DAG factory: one pipeline, or one copy of a task, per experiment or parameter-grid point. */
  generate: z.object({
    mode: z.enum(['pipelines', 'tasks']),
    /** For `mode: tasks`: the task to copy; dependants of it depend on every copy. */
    task: name('generate.task').optional(),
    experiments: z.array(experimentSchema).optional(),
    grid: z.record(z.string(), z.array(json).min(1)).optional(),
  }).strict().optional(),
  tasks: z.array(taskSchema).min(1),
}).strict()

export type PipelineSpec = Omit<z.output<typeof pipelineSchema>, 'generate'> & { readonly source: string }

/** Parses one definition file's content into the pipelines it defines (several for a factory). */
export function parsePipelines(raw: unknown, where: string): PipelineSpec[] {
  const parsed = parseOrThrow(pipelineSchema, raw, where)
  const { generate, ...base } = parsed
  const pipeline: PipelineSpec = { ...base, source: where }
  const result = generate ? expand(pipeline, generate, where) : [pipeline]
  for (const p of result) checkGraph(p, where)
  return result
}

type GenerateSpec = NonNullable<z.output<typeof pipelineSchema>['generate']>

/** The experiments of a `generate` block: the listed ones, then one per grid point. */
function experimentsOf(g: GenerateSpec, where: string): { name: string; params: Record<string, JsonValue> }[] {
  const out = [...(g.experiments ?? [])]
  if (g.grid) {
    let points: Record<string, JsonValue>[] = [{}]
    for (const [key, values] of Object.entries(g.grid)) points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })))
    for (const p of points) {
      const label = Object.entries(p).map(([k, v]) => `${k}_${String(v)}`).join('__').replace(/[^A-Za-z0-9_]/g, '_')
      out.push({ name: label, params: p })
    }
  }
  if (out.length === 0) throw Errors.badInput(`${where}: generate`, 'needs experiments or grid')
  const seen = new Set<string>()
  for (const e of out) {
    if (seen.has(e.name)) throw Errors.badInput(`${where}: generate`, `experiment ${e.name} appears twice`)
    seen.add(e.name)
  }
  return out
}

function expand(p: PipelineSpec, g: GenerateSpec, where: string): PipelineSpec[] {
  const experiments = experimentsOf(g, where)
  if (g.mode === 'pipelines') {
    return experiments.map((e) => ({ ...p, name: `${p.name}__${e.name}`, params: { ...p.params, ...e.params, experiment: e.name } }))
  }
  const target = g.task
  if (!target) throw Errors.badInput(`${where}: generate.task`, 'mode tasks needs the id of the task to copy')
  const original = p.tasks.find((t) => t.id === target)
  if (!original) throw Errors.unknownReference(`${where}: generate.task`, 'task', target, p.tasks.map((t) => t.id))
  const copies = experiments.map((e) => ({ ...original, id: `${original.id}__${e.name}`, params: { ...original.params, ...e.params } }))
  const tasks = p.tasks.flatMap((t) => {
    if (t.id === target) return copies
    const depends_on = t.depends_on.flatMap((d) => (d === target ? copies.map((c) => c.id) : [d]))
    return [{ ...t, depends_on }]
  })
  return [{ ...p, tasks }]
}

function checkGraph(p: PipelineSpec, where: string): void {
  const ids = new Set<string>()
  for (const t of p.tasks) {
    if (ids.has(t.id)) throw Errors.badInput(`${where}: tasks`, `task id ${t.id} appears twice in pipeline ${p.name}`)
    ids.add(t.id)
  }
  for (const t of p.tasks) {
    for (const d of t.depends_on) if (!ids.has(d)) throw Errors.unknownReference(`${where}: task ${t.id}: depends_on`, 'task', d, [...ids])
    if (t.map_over) {
      const source = t.map_over.split('.')[0]!
      if (!t.depends_on.includes(source)) throw Errors.badInput(`${where}: task ${t.id}: map_over`, `${source} must also be in depends_on`)
    }
  }
  topologicalOrder(p, where)
}

/** Task ids in an order where every task comes after its dependencies; a cycle is bad input. */
export function topologicalOrder(p: Pick<PipelineSpec, 'name' | 'tasks'>, where = `pipeline ${p.name}`): string[] {
  const order: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const byId = new Map(p.tasks.map((t) => [t.id, t]))
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return
    if (state.get(id) === 'visiting') throw Errors.badInput(`${where}: tasks`, `dependency cycle ${[...path, id].join(' → ')}`)
    state.set(id, 'visiting')
    for (const d of byId.get(id)!.depends_on) visit(d, [...path, id])
    state.set(id, 'done')
    order.push(id)
  }
  for (const t of p.tasks) visit(t.id, [])
  return order
}

/** The content hash of a pipeline definition (recorded with each run). */
export function pipelineHash(p: PipelineSpec): string {
  const { source: _source, ...definition } = p
  return hashValue(definition)
}

const DEFINITION_FILE = /\.(ya?ml|json)$/

/** Every pipeline defined under `<repoDir>/pipelines`, sorted by name. Names must be unique. */
export function loadPipelines(repoDir: string): PipelineSpec[] {
  const dir = join(repoDir, 'pipelines')
  if (!existsSync(dir)) return []
  const all: PipelineSpec[] = []
  for (const file of readdirSync(dir).filter((f) => DEFINITION_FILE.test(f)).sort()) {
    const where = `pipelines/${file}`
    const text = readFileSync(join(dir, file), 'utf8')
    let raw: unknown
    try {
      raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
    } catch (e) {
      throw Errors.badInput(where, `not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`)
    }
    for (const p of parsePipelines(raw, where)) {
      const clash = all.find((q) => q.name === p.name)
      if (clash) throw Errors.conflict(`pipeline ${p.name} is defined in ${clash.source} and ${where}`)
      all.push(p)
    }
  }
  return all.sort((a, b) => a.name.localeCompare(b.name))
}
