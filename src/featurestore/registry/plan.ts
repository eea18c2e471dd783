import { Errors } from '../../core/index.js'
import type { Kysely } from 'kysely'
import { registryRepo, type MetadataSchema, type RegistryKind } from '../../metadata/index.js'
import { serviceEntryFeatures, serviceEntryView } from '../definitions/feature-service.js'
import type { StoredFeatureView } from '../definitions/feature-view.js'
import type { FeatureRepo } from '../definitions/repo-loader.js'
import { parseViewName } from '../feature-refs.js'
import { changedFields, dataHash, desiredObjects, type DesiredObject } from './specs.js'

export type PlanAction = 'create' | 'change' | 'unchanged' | 'delete'

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
  /** The version the object has once the plan is applied (for a delete: its last version, still readable by number). */
  readonly version: number
}

export interface RegistryPlan {
  readonly project: string
  readonly entries: PlanEntry[]
  /** The objects to write, with the version each one gets. */
  readonly writes: (DesiredObject & { version: number })[]
  /** Changes to annotations only (description, owner, tags): the current version's spec is replaced, no new version. */
  readonly updates: (DesiredObject & { version: number })[]
  /** Objects the repo no longer defines: removed from the registry, their versions kept. */
  readonly deletes: { kind: RegistryKind; name: string }[]
}

/** The plan as the CLI prints it with --json and the API answers it (`POST /api/v1/apply`). */
export function planJson(plan: RegistryPlan, applied: boolean) {
  return {
    project: plan.project,
    applied,
    entries: plan.entries.map((e) => ({
      kind: e.kind, name: e.name, action: e.action, current_version: e.currentVersion ?? null,
      new_version: e.newVersion ?? null, changed_fields: e.changedFields,
    })),
  }
}
export type PlanJson = ReturnType<typeof planJson>

/**
 * Compares a loaded repo with the registry: per object create / change / unchanged / delete and
 * the version a change creates. A change to annotations only (description, owner, tags) is a
 * `change` without a new version. Objects the registry holds but the repo no longer defines are
 * deleted from the registry; their versions stay readable (`view@N`).
 */
export async function planRepo(db: Kysely<MetadataSchema>, repo: FeatureRepo): Promise<RegistryPlan> {
  const project = repo.config.project
  const current = new Map((await registryRepo.listObjects(db, project)).map((o) => [`${o.kind} ${o.name}`, o]))
  const entries: PlanEntry[] = []
  const writes: RegistryPlan['writes'] = []
  const updates: RegistryPlan['updates'] = []
  const desired = desiredObjects(repo)
  for (const want of desired) {
    const have = current.get(`${want.kind} ${want.name}`)
    if (!have) {
      // A deleted name that comes back continues its numbering: versions are never reused.
      const version = (await registryRepo.latestVersion(db, project, want.kind, want.name)) + 1
      entries.push({ kind: want.kind, name: want.name, action: 'create', newVersion: version, changedFields: [], version })
      writes.push({ ...want, version })
      continue
    }
    const version = Number(have.current_version)
    if (have.spec_hash === want.hash) {
      entries.push({ kind: want.kind, name: want.name, action: 'unchanged', currentVersion: version, changedFields: [], version })
      continue
    }
    const stored = JSON.parse((await registryRepo.getVersion(db, project, want.kind, want.name, version))!.spec) as Record<string, unknown>
    const fields = changedFields(stored, want.spec as unknown as Record<string, unknown>)
    if (dataHash(want.kind, stored) === dataHash(want.kind, want.spec)) {
      entries.push({ kind: want.kind, name: want.name, action: 'change', currentVersion: version, changedFields: fields, version })
      updates.push({ ...want, version })
      continue
    }
    entries.push({ kind: want.kind, name: want.name, action: 'change', currentVersion: version, newVersion: version + 1, changedFields: fields, version: version + 1 })
    writes.push({ ...want, version: version + 1 })
  }
  const kept = new Set(desired.map((d) => `${d.kind} ${d.name}`))
  const deletes = [...current.values()].filter((o) => !kept.has(`${o.kind} ${o.name}`))
  for (const o of deletes) {
    const version = Number(o.current_version)
    entries.push({ kind: o.kind, name: o.name, action: 'delete', currentVersion: version, changedFields: [], version })
  }
  await checkPinnedServiceRefs(db, project, repo, writes)
  return { project, entries, writes, updates, deletes: deletes.map((o) => ({ kind: o.kind, name: o.name })) }
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
        throw Errors.unknownReference(where, 'feature view version', `${view}@${version}`, known)
      }
      const names = spec.schema.map((f) => f.name)
      for (const f of serviceEntryFeatures(entry) ?? []) {
        if (!names.includes(f)) throw Errors.unknownReference(where, 'feature', f, names, `${view}@${version}`)
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
