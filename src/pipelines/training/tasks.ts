import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { Errors, hashFile, stringifyJson } from '../../core/index.js'
import { sql, type Engine, type Row } from '../../engines/index.js'
import type { ArtifactRef } from '../artifacts.js'
import type { ModelRegistry, ModelMetrics, ModelSignature, SignatureColumn, TrainingMetadata } from '../models/model-registry.js'
import type { JsonValue, TaskDefinition } from '../task.js'
import { extractDataset, extractSpecSchema, type DatasetFeatureStore, type ExtractOutput } from './extract.js'
import {
  datasetStatistics, encodeLabels, encodeRows, fitClasses, fitPreprocessing, inputSignature, prepareSpecSchema, splitRows,
  type Preprocessing,
} from './prepare.js'
import { registerTrainedModel } from './register.js'
import { MODEL_TASKS, oneModelShape, searchSpecSchema, trainSpecFields, validateModelSpecSchema, type ModelTask } from './specs.js'
import type { TrainedModel } from './train.js'

/**
 * The steps that need TensorFlow.js, loaded on first use: importing it takes about two seconds,
 * which every CLI command and server start would otherwise pay.
 */
async function tfSteps() {
  const [backend, train, evaluate, validateModel, search] = await Promise.all([
    import('./tf-backend.js'), import('./train.js'), import('./evaluate.js'), import('./validate-model.js'), import('./search.js'),
  ])
  return { ...backend, ...train, ...evaluate, ...validateModel, ...search }
}

/** The training pipeline every project gets: copy it to `<repo>/pipelines/training.yaml`. */
export const TRAINING_PIPELINE_TEMPLATE = fileURLToPath(new URL('./training-pipeline.yaml', import.meta.url))

/** The outcome of a checkpoint run, as the validate task needs it. */
export interface CheckpointOutcome {
  success: boolean
  /** The stored validation results (lineage of the model trained on the batch). */
  resultIds: string[]
  /** Why it failed, in a line (the failed expectations). */
  summary: string
}

/** The services the training tasks call, given by the composition root. */
export interface TrainingDeps {
  /** Point-in-time retrieval and feature-view versions (asof.featureStore). */
  featureStore: DatasetFeatureStore
  /** Runs a named checkpoint on a Parquet file (asof.checkpoints, through `datasetCheckpointRunner`): the data-quality gate. */
  runCheckpoint(name: string, batch: { path: string }): Promise<CheckpointOutcome>
  models: ModelRegistry
  /** Reads the dataset Parquet files. */
  duckdb: Engine
}

const artifactRef = z.object({
  kind: z.literal('artifact'), name: z.string(), path: z.string(), sha256: z.string(), bytes: z.number(),
})
const signatureColumn = z.object({ name: z.string(), type: z.enum(['double', 'long', 'string', 'boolean']) })
/** Upstream outputs arrive through templated params (`{{ inputs.extract }}`); these check their shape. */
const extractOutput = z.looseObject({
  dataset: artifactRef, rows: z.number(), feature_columns: z.array(z.string()), feature_refs: z.array(z.string()),
  feature_views: z.array(z.object({ name: z.string(), version: z.number() })), serving_schema: z.array(signatureColumn),
  feature_service: z.object({ name: z.string(), version: z.number() }).nullable().default(null),
})
const metricsSchema: z.ZodType<ModelMetrics> = z.object({
  overall: z.record(z.string(), z.number()),
  slices: z.object({ column: z.string(), values: z.record(z.string(), z.record(z.string(), z.number())) }).optional(),
  classes: z.object({
    labels: z.array(z.string()),
    per_class: z.record(z.string(), z.object({ precision: z.number(), recall: z.number(), f1: z.number(), support: z.number() })),
    confusion_matrix: z.array(z.array(z.number())),
  }).optional(),
})

/** What a model takes (the prepared inputs) and returns, per task: a multi-class model names its class and each class's probability. */
function modelSignature(inputs: SignatureColumn[], task: ModelTask, classes?: readonly string[]): ModelSignature {
  if (task !== 'multiclass_classification') return { inputs, outputs: [{ name: task === 'regression' ? 'prediction' : 'probability', type: 'double' }] }
  return { inputs, outputs: [{ name: 'class', type: 'string' }, ...(classes ?? []).map((c) => ({ name: `probability:${c}`, type: 'double' as const }))] }
}

/** The prepared splits: written by prepare, read by train, evaluate and validate_model. */
interface PreparedData {
  label: string
  slice_column: string | null
  preprocessing: Preprocessing
  /** The inputs with the dataset's column types (the model's input signature). */
  inputs: SignatureColumn[]
  train: Row[]
  test: Row[]
}

async function readPrepared(ref: ArtifactRef): Promise<PreparedData> {
  return JSON.parse(await readFile(ref.path, 'utf8')) as PreparedData
}


async function loadTrained(ref: ArtifactRef): Promise<TrainedModel> {
  return (await tfSteps()).loadModel(ref.path)
}

const validateParams = z.object({ checkpoint: z.string().min(1), dataset: artifactRef })
const prepareParams = prepareSpecSchema.extend({ dataset: extractOutput })
const trainParams = oneModelShape(trainSpecFields.extend({ prepared: artifactRef }))
/** The base train params stay loose here: each trial's are checked as a train spec once the space's values are set. */
const searchParams = z.object({
  prepared: artifactRef,
  train: z.looseObject({ task: z.enum(MODEL_TASKS) }),
  search: searchSpecSchema,
})
const evaluateParams = z.object({ prepared: artifactRef, model: artifactRef, importance_seed: z.number().int().default(42) })
const validateModelParams = validateModelSpecSchema.extend({
  model_name: z.string().min(1), prepared: artifactRef, model: artifactRef, metrics: metricsSchema, serving_schema: z.array(signatureColumn),
})
const registerParams = z.object({
  model_name: z.string().min(1),
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).default({}),
  alias: z.string().min(1).optional(),
  extract: extractOutput,
  validate: z.looseObject({ result_ids: z.array(z.string()) }),
  prepare: z.looseObject({ rows: z.object({ total: z.number(), train: z.number(), test: z.number() }), statistics: z.looseObject({}) }),
  /** The train task's output, or a hyperparameter_search's (its trials are kept with the version). */
  train: z.looseObject({
    model: artifactRef, backend: z.string(), epochs: z.number(), resumed_from_epoch: z.number(),
    search: z.looseObject({ metric: z.string(), best_trial: z.number(), trials: z.array(z.looseObject({})) }).optional(),
  }),
  evaluate: z.looseObject({ metrics: metricsSchema, permutation_importance: z.record(z.string(), z.number()), weights: z.record(z.string(), z.number()).optional() }),
})

/**
 * The training pipeline's task types: extract → validate → prepare → train → evaluate →
 * validate_model → register (see training-pipeline.yaml for how they are wired).
 */
export function trainingTasks(deps: TrainingDeps): TaskDefinition[] {
  const extract: TaskDefinition<z.output<typeof extractSpecSchema>, ExtractOutput> = {
    name: 'extract_training_data',
    description: 'point-in-time training dataset (Parquet + sha256) from a feature list or service, pinned to explicit view versions',
    params: extractSpecSchema,
    // Reads sources that change under the same params; downstream tasks cache on the dataset's hash instead.
    cacheable: false,
    run: (ctx, p) => extractDataset(deps.featureStore, p, ctx.artifacts),
  }

  const validate: TaskDefinition<z.output<typeof validateParams>> = {
    name: 'validate_training_data',
    description: 'runs a checkpoint on the training dataset; a failure stops the run (the gate)',
    params: validateParams,
    // A gate: the suite or the data may have changed since an earlier run with the same params.
    cacheable: false,
    async run(ctx, p) {
      const outcome = await deps.runCheckpoint(p.checkpoint, { path: p.dataset.path })
      if (!outcome.success) throw Errors.gateFailed(`checkpoint ${p.checkpoint} failed on the training dataset`, `${outcome.summary} (results: ${outcome.resultIds.join(', ')})`)
      ctx.log.info({ checkpoint: p.checkpoint, results: outcome.resultIds }, 'training data passed its checkpoint')
      return { checkpoint: p.checkpoint, success: true, result_ids: outcome.resultIds }
    },
  }

  const prepare: TaskDefinition<z.output<typeof prepareParams>> = {
    name: 'prepare_training_data',
    description: 'train/test split (seeded or by time), scaling, one-hot encoding and TF-IDF fitted on the training split',
    params: prepareParams,
    readsInputs: false,
    version: '2',
    async run(ctx, p) {
      if ((await hashFile(p.dataset.dataset.path)) !== p.dataset.dataset.sha256) {
        throw Errors.conflict(`the training dataset ${p.dataset.dataset.path} changed after extract (sha256 differs)`)
      }
      const dataset = deps.duckdb.from({ kind: 'file', path: p.dataset.dataset.path, format: 'parquet' })
      const { columns, rows: all } = await deps.duckdb.run(sql`select * from ${dataset}`)
      const features = p.features ?? p.dataset.feature_columns
      const known = columns.map((c) => c.name)
      for (const c of [p.label, ...features, ...(p.slice_column ? [p.slice_column] : [])]) {
        if (!known.includes(c)) throw Errors.notFound('prepare: dataset column', c, known)
      }
      const rows = all.filter((r) => r[p.label] !== null && r[p.label] !== undefined)
      const { train, test } = splitRows(rows, p.split)
      const preprocessing = fitPreprocessing(train, { ...p, features })
      const prepared: PreparedData = {
        label: p.label, slice_column: p.slice_column ?? null, preprocessing, inputs: inputSignature(preprocessing, columns), train, test,
      }
      return {
        prepared: await ctx.artifacts.write('prepared.json', stringifyJson(prepared)),
        rows: { total: rows.length, train: train.length, test: test.length, dropped_null_label: all.length - rows.length },
        label: p.label,
        features,
        statistics: datasetStatistics(rows, preprocessing) as unknown as JsonValue,
      }
    },
  }

  const train: TaskDefinition<z.output<typeof trainParams>> = {
    name: 'train_model',
    description: 'TensorFlow.js regression, binary or multi-class classifier of declared layers, checkpointed every N epochs and resumed after a crash',
    params: trainParams,
    readsInputs: false,
    // 3: each epoch's row order is seeded (was Math.random)
    version: '3',
    async run(ctx, p) {
      const { initTf, trainWithCheckpoints, serializeModel, fitTargets } = await tfSteps()
      const backend = await initTf(ctx.log)
      const data = await readPrepared(p.prepared)
      const classes = p.task === 'multiclass_classification' ? fitClasses(data.train, data.label) : undefined
      const x = encodeRows(data.preprocessing, data.train)
      const { y, target } = fitTargets(p.task, encodeLabels(data.train, data.label, p.task, classes))
      const result = await trainWithCheckpoints({ spec: p, x, y, classCount: classes?.length, checkpointDir: ctx.scratchDir, signal: ctx.signal, log: ctx.log })
      const bytes = await serializeModel({ task: p.task, preprocessing: data.preprocessing, classes, target, signature: modelSignature(data.inputs, p.task, classes), model: result.model })
      result.model.dispose()
      return {
        model: await ctx.artifacts.write('model.bin', bytes),
        task: p.task,
        backend,
        epochs: result.epochs,
        resumed_from_epoch: result.resumedFromEpoch,
        final_loss: result.loss.at(-1) ?? null,
      }
    },
  }

  const search: TaskDefinition<z.output<typeof searchParams>> = {
    name: 'hyperparameter_search',
    description: 'grid or random search over train params: N trials, a parallelism cap, median-rule early stopping; passes the best trial\'s model on',
    params: searchParams,
    readsInputs: false,
    // 2: trials train with seeded row orders
    version: '2',
    async run(ctx, p) {
      const { initTf, runSearch } = await tfSteps()
      const backend = await initTf(ctx.log)
      const data = await readPrepared(p.prepared)
      const task = p.train.task
      const classes = task === 'multiclass_classification' ? fitClasses(data.train, data.label) : undefined
      const result = await runSearch({
        task, base: p.train, search: p.search, preprocessing: data.preprocessing, classes, signature: modelSignature(data.inputs, task, classes),
        label: data.label, train: data.train, scratchDir: ctx.scratchDir, signal: ctx.signal, log: ctx.log,
      })
      ctx.log.info({ best: result.best.trial, [result.metric]: result.best.score, trials: result.trials.length }, 'hyperparameter search chose its best trial')
      // Shaped like train's output, so evaluate, validate_model and register take either.
      return {
        model: await ctx.artifacts.write('model.bin', result.modelBytes),
        task,
        backend,
        epochs: result.best.epochs,
        resumed_from_epoch: 0,
        final_loss: result.best.val_loss.at(-1) ?? null,
        search: {
          method: p.search.method, metric: result.metric, direction: result.direction, best_trial: result.best.trial,
          best_params: result.best.params, best_score: result.best.score,
          trials: result.trials as unknown as JsonValue,
        },
      }
    },
  }

  const evaluate: TaskDefinition<z.output<typeof evaluateParams>> = {
    name: 'evaluate_model',
    description: 'test-split metrics overall and per slice, permutation importances (and weights of a linear model)',
    params: evaluateParams,
    readsInputs: false,
    version: '2',
    async run(_ctx, p) {
      const { evaluateModel, permutationImportance, linearWeights } = await tfSteps()
      const [data, model] = [await readPrepared(p.prepared), await loadTrained(p.model)]
      const { metrics, yTrue: y } = evaluateModel(model, data.test, data.label, data.slice_column ?? undefined)
      const out: Record<string, JsonValue> = {
        metrics: metrics as unknown as JsonValue,
        permutation_importance: permutationImportance(model, data.test, y, p.importance_seed),
      }
      const weights = linearWeights(model)
      if (weights) out.weights = weights
      model.model.dispose()
      return out
    },
  }

  const validateModelTask: TaskDefinition<z.output<typeof validateModelParams>> = {
    name: 'validate_model',
    description: 'metric thresholds, not worse than the champion overall and per slice, serving schema, latency budget',
    params: validateModelParams,
    // Compares with whatever holds the champion alias now.
    cacheable: false,
    async run(ctx, p) {
      const { validateModel, loadModel } = await tfSteps()
      const [data, candidate] = [await readPrepared(p.prepared), await loadTrained(p.model)]
      const current = await deps.models.findByAlias(p.model_name, p.champion.alias).catch(() => undefined)
      const champion = current && existsSync(current.artifact_uri) ? { version: current.version, model: await loadModel(current.artifact_uri) } : undefined
      if (current && !champion) ctx.log.warn({ model: p.model_name, version: current.version }, 'the champion\'s model file is gone: compared with nothing')
      const report = validateModel({
        candidate, metrics: p.metrics, testRows: data.test, label: data.label,
        sliceColumn: data.slice_column ?? undefined, champion, servingSchema: p.serving_schema as SignatureColumn[], spec: p,
      })
      candidate.model.dispose()
      champion?.model.model.dispose()
      const failed = report.checks.filter((c) => !c.success)
      if (failed.length) throw Errors.gateFailed('model validation failed', failed.map((c) => `${c.name}: ${c.detail}`).join('; '))
      return report as unknown as JsonValue
    },
  }

  const register: TaskDefinition<z.output<typeof registerParams>> = {
    name: 'register_model',
    description: 'registers the model version with metrics, signature, lineage and training metadata (once per run)',
    params: registerParams,
    cacheable: false,
    async run(ctx, p) {
      const model = await loadTrained(p.train.model)
      const { version, created } = await registerTrainedModel(deps.models, {
        modelName: p.model_name, runId: ctx.runId, pipeline: ctx.pipeline, runParams: ctx.runParams,
        description: p.description, tags: p.tags, alias: p.alias,
        model: p.train.model, trained: model, metrics: p.evaluate.metrics,
        lineage: {
          feature_views: p.extract.feature_views, feature_refs: p.extract.feature_refs,
          ...(p.extract.feature_service ? { feature_service: p.extract.feature_service } : {}),
          dataset: { uri: p.extract.dataset.path, sha256: p.extract.dataset.sha256, rows: p.extract.rows },
          checkpoint_result_ids: p.validate.result_ids,
        },
        training: {
          rows: p.prepare.rows,
          ...(p.prepare.statistics as Pick<TrainingMetadata, 'categorical' | 'numeric' | 'text'>),
          weights: p.evaluate.weights,
          permutation_importance: p.evaluate.permutation_importance,
          backend: p.train.backend, epochs: p.train.epochs, resumed_from_epoch: p.train.resumed_from_epoch,
          ...(p.train.search ? { search: p.train.search as TrainingMetadata['search'] } : {}),
        },
      })
      model.model.dispose()
      return { name: version.name, version: version.version, created, aliases: version.aliases }
    },
  }

  return [extract, validate, prepare, train, search, evaluate, validateModelTask, register]
}
