import type { ModelLineage, ModelMetrics, ModelRegistry, ModelVersion, TrainingMetadata } from '../models/model-registry.js'
import type { ArtifactRef } from '../artifacts.js'
import type { TrainedModel } from './train.js'

/** Everything the upstream training tasks produced that a registered version keeps. */
export interface RegistrationInput {
  modelName: string
  runId: string
  pipeline: string
  runParams: Record<string, unknown>
  description?: string
  tags?: Record<string, string>
  /** Point the alias at the new version once registered (`champion` after the gate passed). */
  alias?: string
  model: ArtifactRef
  trained: Pick<TrainedModel, 'signature'>
  metrics: ModelMetrics
  lineage: Omit<ModelLineage, 'pipeline' | 'pipeline_run' | 'params'>
  training: TrainingMetadata
}

/**
 * Registers the trained model as the next version of `modelName`. Idempotent per pipeline run:
 * a resumed or retried run gets its existing version back and registers nothing new.
 */
export async function registerTrainedModel(registry: ModelRegistry, input: RegistrationInput): Promise<{ version: ModelVersion; created: boolean }> {
  const result = await registry.register({
    name: input.modelName,
    runId: input.runId,
    description: input.description,
    artifactUri: input.model.path,
    artifactHash: input.model.sha256,
    metrics: input.metrics,
    signature: input.trained.signature,
    lineage: { ...input.lineage, pipeline: input.pipeline, pipeline_run: input.runId, params: input.runParams },
    training: input.training,
    tags: input.tags,
  })
  if (input.alias && !result.version.aliases.includes(input.alias)) {
    return { version: await registry.setAlias(input.modelName, input.alias, result.version.version), created: result.created }
  }
  return result
}
