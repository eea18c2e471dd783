import { formatMicros, dateToMicros } from '../../core/index.js'
import { registryRepo, type MetadataStore } from '../../metadata/index.js'
import type { FeatureRepo } from '../definitions/repo-loader.js'
import { planRepo, type RegistryPlan } from './plan.js'

/**
 * Applies a repo in one transaction: every created or changed object gets its new immutable
 * version, or nothing is written. Returns the plan that was applied.
 */
export async function applyRepo(metadata: MetadataStore, repo: FeatureRepo, now = new Date()): Promise<RegistryPlan> {
  const at = formatMicros(dateToMicros(now))
  return metadata.transaction(async (tx) => {
    const plan = await planRepo(tx, repo)
    for (const w of plan.writes) {
      await registryRepo.insertVersion(tx, plan.project, w.kind, w.name, w.spec, w.hash, at)
    }
    return plan
  })
}
