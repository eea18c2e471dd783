import { z } from 'zod'

/*
 * The params of the train and validate_model tasks, apart from the code that needs TensorFlow.js
 * (which takes seconds to import, so the task definitions load it only when a task runs).
 */

export const MODEL_TASKS = ['regression', 'binary_classification'] as const
export type ModelTask = (typeof MODEL_TASKS)[number]

/** The model and how to fit it: the `params:` of the train task. */
export const trainSpecSchema = z.object({
  task: z.enum(MODEL_TASKS),
  /** Hidden layer widths; empty gives linear (regression) or logistic (classification) regression. */
  hidden_units: z.array(z.number().int().positive()).default([]),
  epochs: z.number().int().positive().default(20),
  batch_size: z.number().int().positive().default(64),
  learning_rate: z.number().positive().default(0.01),
  optimizer: z.enum(['adam', 'sgd']).default('adam'),
  /** Weights, optimizer state and epoch are saved every this many epochs. */
  checkpoint_every: z.number().int().positive().default(1),
  /** Seeds the weight initializers. */
  seed: z.number().int().default(42),
})
export type TrainSpec = z.output<typeof trainSpecSchema>

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

