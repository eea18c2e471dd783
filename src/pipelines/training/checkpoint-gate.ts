import type { CheckpointService } from '../../expectations/index.js'
import type { CheckpointOutcome } from './tasks.js'

/**
 * The validate task's gate over the checkpoint service: runs checkpoint `name` with the batch of
 * every validation replaced by the training dataset just extracted (the checkpoint file names the
 * suites and actions; the dataset changes with every run), and reports which suites failed.
 */
export function datasetCheckpointRunner(checkpoints: Pick<CheckpointService, 'load' | 'runCheckpoint'>) {
  return async (name: string, batch: { path: string }): Promise<CheckpointOutcome> => {
    const config = await checkpoints.load(name)
    const run = await checkpoints.runCheckpoint({
      ...config,
      validations: config.validations.map((v) => ({ ...v, batch: { type: 'dataset' as const, path: batch.path } })),
    })
    const failed = run.validations.filter((v) => !v.success)
    return {
      success: run.success,
      resultIds: [...run.result_ids],
      summary: failed.map((v) => `suite ${v.suite_name}: ${v.statistics.unsuccessful_expectations} of ${v.statistics.evaluated_expectations} expectations failed`).join('; '),
    }
  }
}
