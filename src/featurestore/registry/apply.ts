import { formatMicros, dateToMicros } from '../../core/index.js'
import { registryRepo, type MetadataStore } from '../../metadata/index.js'
import type { FeatureRepo } from '../definitions/repo-loader.js'
import { planRepo, type RegistryPlan } from './plan.js'

/**
 * Applies a repo in one transaction: every created or changed object gets its new immutable
 * version, annotation-only changes replace the current version's spec, objects no longer
 * defined leave the registry (their versions stay); or nothing is written. Returns the plan applied.
 */
export async function applyRepo(metadata: MetadataStore, repo: FeatureRepo, now = new Date()): Promise<RegistryPlan> {
  const at = formatMicros(dateToMicros(now))
  return metadata.transaction(async (tx) => {
    const plan = await planRepo(tx, repo)
    for (const w of plan.writes) {
      await registryRepo.insertVersion(tx, plan.project, w.kind, w.name, w.spec, w.hash, at)
    }
    for (const u of plan.updates) await registryRepo.updateCurrentSpec(tx, plan.project, u.kind, u.name, u.version, u.spec, u.hash, at)
    for (const d of plan.deletes) await registryRepo.deleteObject(tx, plan.project, d.kind, d.name)
    return plan
  })
}
