import type { Kysely } from 'kysely'
import { registryRepo, type MetadataSchema, type RegistryKind } from '../../metadata/index.js'
import { unknownName } from '../definitions/common.js'
import { serviceEntryFeatures, serviceEntryView } from '../definitions/feature-service.js'
import type { StoredFeatureView } from '../definitions/feature-view.js'
import type { FeatureRepo } from '../definitions/repo-loader.js'
import { parseViewName } from '../feature-refs.js'
import { changedFields, desiredObjects, type DesiredObject } from './specs.js'

export type PlanAction = 'create' | 'change' | 'unchanged'

/** What applying a repo would do to one object. */
export interface PlanEntry {
  readonly kind: RegistryKind
  readonly name: string
  readonly action: PlanAction
  /** The version in the registry now (absent for a create). */
  readonly currentVersion?: number
  /** The version applying creates (create: 1, change: current + 1). */
  readonly newVersion?: number
  /** Top-level fields that differ from the current version (for a change). */
  readonly changedFields: string[]
  /** The version the object has once the plan is applied. */
  readonly version: number
}

export interface RegistryPlan {
  readonly project: string
  readonly entries: PlanEntry[]
  /** The objects to write, with the version each one gets. */
  readonly writes: (DesiredObject & { version: number })[]
}

/**
 * Compares a loaded repo with the registry: per object create / change / unchanged and the
 * version a change creates. Objects the registry holds but the repo no longer defines are kept
 * (their versions stay readable) and are not listed.
 */
export async function planRepo(db: Kysely<MetadataSchema>, repo: FeatureRepo): Promise<RegistryPlan> {
  const project = repo.config.project
  const current = new Map((await registryRepo.listObjects(db, project)).map((o) => [`${o.kind} ${o.name}`, o]))
  const entries: PlanEntry[] = []
  const writes: RegistryPlan['writes'] = []
  for (const want of desiredObjects(repo)) {
    const have = current.get(`${want.kind} ${want.name}`)
    if (!have) {
      entries.push({ kind: want.kind, name: want.name, action: 'create', newVersion: 1, changedFields: [], version: 1 })
      writes.push({ ...want, version: 1 })
      continue
    }
    const version = Number(have.current_version)
    if (have.spec_hash === want.hash) {
      entries.push({ kind: want.kind, name: want.name, action: 'unchanged', currentVersion: version, changedFields: [], version })
      continue
    }
    const stored = await registryRepo.getVersion(db, project, want.kind, want.name, version)
    const fields = changedFields(JSON.parse(stored!.spec) as Record<string, unknown>, want.spec as unknown as Record<string, unknown>)
    entries.push({ kind: want.kind, name: want.name, action: 'change', currentVersion: version, newVersion: version + 1, changedFields: fields, version: version + 1 })
    writes.push({ ...want, version: version + 1 })
  }
  await checkPinnedServiceRefs(db, project, repo, writes)
  return { project, entries, writes }
}

/** A service entry pinned to `view@N` must name a version that exists (or that this apply creates) and its features. */
async function checkPinnedServiceRefs(db: Kysely<MetadataSchema>, project: string, repo: FeatureRepo, writes: RegistryPlan['writes']): Promise<void> {
  for (const service of repo.featureServices) {
    for (const [i, entry] of service.features.entries()) {
      const { view, version } = parseViewName(serviceEntryView(entry))
      if (version === undefined) continue
      const where = `feature service ${service.name}: features[${i}]`
      const spec = await pinnedView(db, project, view, version, writes)
      if (!spec) {
        const known = (await registryRepo.listVersions(db, project, 'feature_view', view)).map((v) => `${view}@${v.version}`)
        throw unknownName(where, 'feature view version', `${view}@${version}`, known)
      }
      const names = spec.schema.map((f) => f.name)
      for (const f of serviceEntryFeatures(entry) ?? []) {
        if (!names.includes(f)) throw unknownName(where, 'feature', f, names, `${view}@${version}`)
      }
    }
  }
}

async function pinnedView(db: Kysely<MetadataSchema>, project: string, view: string, version: number, writes: RegistryPlan['writes']): Promise<StoredFeatureView | undefined> {
  const planned = writes.find((w) => w.kind === 'feature_view' && w.name === view && w.version === version)
  if (planned) return planned.spec as StoredFeatureView
  const row = await registryRepo.getVersion(db, project, 'feature_view', view, version)
  return row ? (JSON.parse(row.spec) as StoredFeatureView) : undefined
}
