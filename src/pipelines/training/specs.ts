import { z } from 'zod'

/*
 * The params of the train and validate_model tasks, apart from the code that needs TensorFlow.js
 * (which takes seconds to import, so the task definitions load it only when a task runs).
 */

export const MODEL_TASKS = ['regression', 'binary_classification', 'multiclass_classification'] as const
export type ModelTask = (typeof MODEL_TASKS)[number]

/** Whether a larger value of a metric is better; the champion comparison, searches and version comparisons need the direction. */
export const METRIC_DIRECTION: Record<string, 'higher' | 'lower'> = {
  r2: 'higher', mse: 'lower', mae: 'lower',
  accuracy: 'higher', precision: 'higher', recall: 'higher', f1: 'higher', roc_auc: 'higher',
  macro_precision: 'higher', macro_recall: 'higher', macro_f1: 'higher',
  weighted_precision: 'higher', weighted_recall: 'higher', weighted_f1: 'higher',
}

const ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear', 'softplus'] as const

/**
 * One hidden layer, as pipeline YAML declares it (Keras's layer names and arguments). The task
 * adds the output layer itself: one linear unit, one sigmoid unit, or a softmax over the classes.
 */
export const layerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('dense'), units: z.number().int().positive(), activation: z.enum(ACTIVATIONS).default('relu') }).strict(),
  z.object({ type: z.literal('dropout'), rate: z.number().gt(0).lt(1) }).strict(),
])
export type LayerSpec = z.output<typeof layerSchema>

/**
 * A named model shape with its parameters, expanded into layers: `mlp` is `hidden_units` dense
 * layers, each followed by dropout when `dropout` is above 0.
 */
export const architectureSchema = z.discriminatedUnion('name', [
  z.object({
    name: z.literal('mlp'),
    hidden_units: z.array(z.number().int().positive()).default([]),
    activation: z.enum(ACTIVATIONS).default('relu'),
    dropout: z.number().min(0).lt(1).default(0),
  }).strict(),
])

/** The model and how to fit it: the `params:` of the train task (before the one-shape check, so tasks can extend it). */
export const trainSpecFields = z.object({
  task: z.enum(MODEL_TASKS),
  /**
   * The model's shape: `layers` (a list of hidden layers), or `architecture` (a named shape and its
   * parameters), or `hidden_units` (dense ReLU widths, the shorthand). None of them, or `[]`, gives
   * linear (regression), logistic (binary) or softmax (multi-class) regression.
   */
  layers: z.array(layerSchema).optional(),
  architecture: architectureSchema.optional(),
  hidden_units: z.array(z.number().int().positive()).optional(),
  epochs: z.number().int().positive().default(20),
  batch_size: z.number().int().positive().default(64),
  learning_rate: z.number().positive().default(0.01),
  optimizer: z.enum(['adam', 'sgd']).default('adam'),
  /** Weights, optimizer state and epoch are saved every this many epochs. */
  checkpoint_every: z.number().int().positive().default(1),
  /** Seeds the weight initializers. */
  seed: z.number().int().default(42),
})

/** A model declares its shape one way only. */
export function oneModelShape<T extends z.ZodType<Pick<z.output<typeof trainSpecFields>, 'layers' | 'architecture' | 'hidden_units'>>>(schema: T) {
  return schema.refine((s) => [s.layers, s.architecture, s.hidden_units].filter((x) => x !== undefined).length <= 1, {
    message: 'give at most one of layers, architecture or hidden_units',
    path: ['layers'],
  })
}

export const trainSpecSchema = oneModelShape(trainSpecFields)
export type TrainSpec = z.output<typeof trainSpecSchema>

/** The hidden layers a train spec declares, whichever way it declares them. */
export function hiddenLayers(spec: Pick<TrainSpec, 'layers' | 'architecture' | 'hidden_units'>): LayerSpec[] {
  if (spec.layers) return spec.layers
  const a = spec.architecture ?? { name: 'mlp' as const, hidden_units: spec.hidden_units ?? [], activation: 'relu' as const, dropout: 0 }
  return a.hidden_units.flatMap((units): LayerSpec[] => [
    { type: 'dense', units, activation: a.activation },
    ...(a.dropout > 0 ? [{ type: 'dropout' as const, rate: a.dropout }] : []),
  ])
}

/** The gate a model passes before it is registered: the `params:` of the validate_model task. */
export const validateModelSpecSchema = z.object({
  /** Bounds on the candidate's overall metrics: `{r2: {min: 0.5}, mae: {max: 0.1}}`. */
  thresholds: z.record(z.string(), z.object({ min: z.number().optional(), max: z.number().optional() })).default({}),
  /** The comparison with the current champion, evaluated on this run's test split. */
  champion: z.object({
    alias: z.string().min(1).default('champion'),
    /** How much worse than the champion (absolute, in the metric's unit) still passes. */
    tolerance: z.number().nonnegative().default(0.01),
    /** Metrics compared; every metric both models report when omitted. */
    metrics: z.array(z.string()).optional(),
    /** Also compare on every slice value. */
    slices: z.boolean().default(true),
  }).prefault({}),
  /** p95 of single-row prediction time must stay within this, in milliseconds. */
  latency_budget_ms: z.number().positive().default(50),
  latency_samples: z.number().int().positive().default(50),
})
export type ValidateModelSpec = z.output<typeof validateModelSpecSchema>


/** One dimension of a search space: a list of choices, or a range sampled by random search. */
export const searchDimensionSchema = z.union([
  z.array(z.union([z.number(), z.string(), z.boolean(), z.array(z.number())])).min(1),
  z.object({ uniform: z.tuple([z.number(), z.number()]) }).strict(),
  z.object({ log_uniform: z.tuple([z.number().positive(), z.number().positive()]) }).strict(),
  z.object({ int: z.tuple([z.number().int(), z.number().int()]) }).strict(),
])
export type SearchDimension = z.output<typeof searchDimensionSchema>

/**
 * Hyperparameter search (the `search:` of the hyperparameter_search task). Keys of `space` are
 * train params, dotted into nested ones (`learning_rate`, `architecture.hidden_units`, `layers.0.units`).
 */
export const searchSpecSchema = z.object({
  /** grid: every combination of the (list) dimensions; random: `trials` samples, seeded. */
  method: z.enum(['grid', 'random']).default('random'),
  /** Random search's trial count; a grid larger than this is refused. */
  trials: z.number().int().positive().max(1000).default(10),
  /** Most trials in progress at once. */
  max_parallel: z.number().int().positive().default(1),
  seed: z.number().int().default(0),
  /** The validation metric trials are ranked by; default r2, roc_auc or macro_f1 by task. */
  metric: z.string().min(1).optional(),
  /** Share of the training split held out to score trials (seeded); the test split stays untouched for evaluate. */
  validation_fraction: z.number().gt(0).lt(1).default(0.2),
  space: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/), searchDimensionSchema)
    .refine((s) => Object.keys(s).length > 0, 'the search space needs at least one dimension'),
  /**
   * The median stopping rule (Optuna's MedianPruner): from `warmup_epochs` on, a trial whose best
   * validation loss so far is worse than the median of the finished trials' at the same epoch stops,
   * once `min_trials` trials have finished. Absent: every trial runs all its epochs.
   */
  early_stopping: z.object({
    warmup_epochs: z.number().int().positive().default(3),
    min_trials: z.number().int().positive().default(2),
  }).strict().optional(),
}).strict()
export type SearchSpec = z.output<typeof searchSpecSchema>
