import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Errors, parseOrThrow, stringifyJson, type Logger } from '../../core/index.js'
import type { Row } from '../../engines/index.js'
import { evaluatePredictions, METRIC_DIRECTION } from './evaluate.js'
import { encodeLabels, encodeRows, seededRandom, shuffled, type Preprocessing } from './prepare.js'
import { trainSpecSchema, type ModelTask, type SearchDimension, type SearchSpec, type TrainSpec } from './specs.js'
import { fitTargets, predictRows, scaleTargets, serializeModel, trainWithCheckpoints, type TrainedModel } from './train.js'
import type { ModelSignature } from '../models/model-registry.js'

/** A trial's parameters: values for the search space's keys. */
export type TrialParams = Record<string, number | string | boolean | number[]>

/** One trial as it is stored and shown: what it tried, how far it got, how it scored. */
export interface TrialRecord {
  trial: number
  params: TrialParams
  /** complete: ran every epoch; pruned: stopped by the median rule. */
  state: 'complete' | 'pruned'
  epochs: number
  /** Validation loss after each epoch. */
  val_loss: number[]
  /** Metrics on the validation rows (complete trials only). */
  metrics: Record<string, number>
  score: number | null
}

/** Every combination of the dimensions (each must be a list of choices), in key order. */
export function gridPoints(space: Record<string, SearchDimension>): TrialParams[] {
  let points: TrialParams[] = [{}]
  for (const [key, dim] of Object.entries(space)) {
    if (!Array.isArray(dim)) throw Errors.badInput(`search.space.${key}`, 'grid search takes lists of choices; a range needs method: random')
    points = points.flatMap((p) => dim.map((v) => ({ ...p, [key]: v })))
  }
  return points
}

/** `trials` samples of the space, seeded: choices uniformly, ranges uniformly (log-uniformly, or as integers). */
export function randomPoints(space: Record<string, SearchDimension>, trials: number, seed: number): TrialParams[] {
  const random = seededRandom(seed)
  return Array.from({ length: trials }, () => Object.fromEntries(Object.entries(space).map(([key, dim]) => {
    if (Array.isArray(dim)) return [key, dim[Math.floor(random() * dim.length)]!]
    if ('uniform' in dim) return [key, dim.uniform[0] + random() * (dim.uniform[1] - dim.uniform[0])]
    if ('log_uniform' in dim) {
      const [a, b] = dim.log_uniform.map(Math.log) as [number, number]
      return [key, Math.exp(a + random() * (b - a))]
    }
    return [key, dim.int[0] + Math.floor(random() * (dim.int[1] - dim.int[0] + 1))]
  })))
}

/** The trial's train spec: the base params with each dotted key set (`layers.0.units`), checked as a train spec. */
export function trialSpec(base: Record<string, unknown>, params: TrialParams, where: string): TrainSpec {
  const spec = structuredClone(base)
  for (const [key, value] of Object.entries(params)) {
    const path = key.split('.')
    let node = spec as Record<string, unknown>
    for (const part of path.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) throw Errors.badInput(`search.space.${key}`, `train has no ${part} to set ${key} in`)
      node = node[part] as Record<string, unknown>
    }
    node[path.at(-1)!] = value
  }
  return parseOrThrow(trainSpecSchema, spec, where)
}

/** The metric a search ranks by when none is named. */
export function defaultSearchMetric(task: ModelTask): string {
  return task === 'regression' ? 'r2' : task === 'binary_classification' ? 'roc_auc' : 'macro_f1'
}

/**
 * The median stopping rule: whether a trial whose best validation loss so far is `best` should stop
 * at `epoch`, given the validation-loss curves of the finished trials.
 */
export function shouldPrune(best: number, epoch: number, finished: readonly TrialRecord[], rule: NonNullable<SearchSpec['early_stopping']>): boolean {
  if (epoch < rule.warmup_epochs) return false
  const atEpoch = finished.map((t) => t.val_loss[epoch - 1]).filter((v): v is number => v !== undefined).sort((a, b) => a - b)
  if (atEpoch.length < rule.min_trials) return false
  const mid = atEpoch.length / 2
  const median = atEpoch.length % 2 ? atEpoch[Math.floor(mid)]! : (atEpoch[mid - 1]! + atEpoch[mid]!) / 2
  return best > median
}

export interface SearchInput {
  task: ModelTask
  /** The train params every trial starts from (the search space's values override them). */
  base: Record<string, unknown>
  search: SearchSpec
  preprocessing: Preprocessing
  classes?: string[]
  signature: ModelSignature
  label: string
  train: readonly Row[]
  /** Per-trial checkpoints and finished trials, kept across `resume`. */
  scratchDir: string
  signal?: AbortSignal
  log?: Logger
}

export interface SearchResult {
  metric: string
  direction: 'higher' | 'lower'
  trials: TrialRecord[]
  best: TrialRecord
  /** The best trial's model file. */
  modelBytes: Buffer
}

/**
 * Runs the trials, at most `max_parallel` at a time (TensorFlow.js runs one kernel at a time in a
 * process, so parallel trials interleave their batches: the cap bounds memory and what the pruner
 * has seen, not cores). Each trial trains with checkpoints in its own directory and is recorded in
 * `trials.json` when it ends, so a resumed search skips finished trials and continues a running one.
 */
export async function runSearch(input: SearchInput): Promise<SearchResult> {
  const { search } = input
  const points = search.method === 'grid' ? gridPoints(search.space) : randomPoints(search.space, search.trials, search.seed)
  if (search.method === 'grid' && points.length > search.trials) {
    throw Errors.badInput('search.trials', `the grid has ${points.length} points, more than trials (${search.trials}); raise trials or shrink the grid`)
  }
  const specs = points.map((p, i) => trialSpec(input.base, p, `search trial ${i}`))
  const metric = search.metric ?? defaultSearchMetric(input.task)
  const direction = METRIC_DIRECTION[metric]
  if (!direction) throw Errors.badInput('search.metric', `unknown metric ${metric}; known: ${Object.keys(METRIC_DIRECTION).join(', ')}`)

  // The validation rows: a seeded share of the training split, never the test split.
  const order = shuffled(input.train, seededRandom(search.seed + 1))
  const valCount = Math.max(1, Math.round(order.length * search.validation_fraction))
  if (order.length - valCount < 1) throw Errors.badInput('search.validation_fraction', `leaves no training rows of ${order.length}`)
  const [fitRows, valRows] = [order.slice(valCount), order.slice(0, valCount)]
  const x = encodeRows(input.preprocessing, fitRows)
  const { y, target } = fitTargets(input.task, encodeLabels(fitRows, input.label, input.task, input.classes))
  const yVal = encodeLabels(valRows, input.label, input.task, input.classes)
  // The pruner compares validation losses: in the fitted (scaled) units, like the training loss.
  const validation = { x: encodeRows(input.preprocessing, valRows), y: scaleTargets(yVal, target) }

  const ledger = join(input.scratchDir, 'trials.json')
  const finished: TrialRecord[] = await readFile(ledger, 'utf8').then((t) => JSON.parse(t) as TrialRecord[], () => [])
  const done = new Set(finished.map((t) => t.trial))
  let writing = Promise.resolve()
  const record = (t: TrialRecord) => {
    finished.push(t)
    writing = writing.then(async () => {
      await writeFile(`${ledger}.tmp`, stringifyJson(finished))
      await rename(`${ledger}.tmp`, ledger)
    })
    return writing
  }

  const runTrial = async (i: number) => {
    const spec = specs[i]!
    const dir = join(input.scratchDir, `trial-${i}`)
    await mkdir(dir, { recursive: true })
    const valLoss: number[] = []
    let best = Infinity
    let pruned = false
    const result = await trainWithCheckpoints({
      spec, x, y, classCount: input.classes?.length, validation, checkpointDir: dir, signal: input.signal, log: input.log,
      onEpochEnd: (epoch, _loss, val) => {
        valLoss[epoch - 1] = val ?? Number.NaN
        best = Math.min(best, val ?? Infinity)
        if (search.early_stopping && epoch < spec.epochs && shouldPrune(best, epoch, finished.filter((t) => t.state === 'complete'), search.early_stopping)) {
          pruned = true
          return 'stop'
        }
      },
    })
    try {
      let metrics: Record<string, number> = {}
      if (!pruned) {
        const trained: TrainedModel = { task: input.task, preprocessing: input.preprocessing, classes: input.classes, target, signature: input.signature, model: result.model }
        metrics = evaluatePredictions(input.task, valRows, yVal, predictRows(trained, valRows), undefined, input.classes).overall
        await writeFile(join(dir, 'model.bin'), await serializeModel(trained))
      }
      const score = metrics[metric] ?? null
      input.log?.info({ trial: i, params: points[i], state: pruned ? 'pruned' : 'complete', epochs: result.epochs, [metric]: score }, 'search trial ended')
      // A trial resumed after its last epoch reports no new losses; the ledger keeps what it had.
      await record({ trial: i, params: points[i]!, state: pruned ? 'pruned' : 'complete', epochs: result.epochs, val_loss: valLoss, metrics, score })
    } finally {
      result.model.dispose()
    }
  }

  const queue = specs.map((_, i) => i).filter((i) => !done.has(i))
  await Promise.all(Array.from({ length: Math.min(search.max_parallel, queue.length) }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) await runTrial(i)
  }))
  await writing

  const trials = [...finished].sort((a, b) => a.trial - b.trial)
  const scored = trials.filter((t) => t.state === 'complete' && t.score !== null && Number.isFinite(t.score))
  if (scored.length === 0) throw Errors.gateFailed('hyperparameter search', `no trial finished with a finite ${metric}`)
  const best = scored.reduce((a, b) => ((direction === 'higher' ? b.score! > a.score! : b.score! < a.score!) ? b : a))
  return { metric, direction, trials, best, modelBytes: await readFile(join(input.scratchDir, `trial-${best.trial}`, 'model.bin')) }
}
