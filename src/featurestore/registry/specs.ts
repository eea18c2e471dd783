import { canonicalJson, hashValue } from '../../core/index.js'
import type { RegistryKind } from '../../metadata/index.js'
import type { EntityDefinition } from '../definitions/entity.js'
import type { FeatureServiceDefinition } from '../definitions/feature-service.js'
import { storedFeatureView, type StoredFeatureView } from '../definitions/feature-view.js'
import type { FeatureRepo } from '../definitions/repo-loader.js'
import type { SourceDefinition } from '../definitions/source.js'

/** What the registry stores for each kind of object (one immutable JSON document per version). */
export interface StoredSpecs {
  entity: EntityDefinition
  source: SourceDefinition
  feature_view: StoredFeatureView
  feature_service: FeatureServiceDefinition
}

export const REGISTRY_KINDS: readonly RegistryKind[] = ['entity', 'source', 'feature_view', 'feature_service']

export interface DesiredObject {
  readonly kind: RegistryKind
  readonly name: string
  readonly spec: StoredSpecs[RegistryKind]
  readonly hash: string
}

/** The objects a repo defines, in the stored form, in dependency order. */
export function desiredObjects(repo: FeatureRepo): DesiredObject[] {
  const entities = new Map(repo.entities.map((e) => [e.name, e]))
  const sources = new Map(repo.sources.map((s) => [s.name, s]))
  const specs: [RegistryKind, { name: string }][] = [
    ...repo.entities.map((e) => ['entity', e] as [RegistryKind, { name: string }]),
    ...repo.sources.map((s) => ['source', s] as [RegistryKind, { name: string }]),
    ...repo.featureViews.map((v) => ['feature_view', storedFeatureView(v, entities, sources)] as [RegistryKind, { name: string }]),
    ...repo.featureServices.map((s) => ['feature_service', s] as [RegistryKind, { name: string }]),
  ]
  return specs.map(([kind, spec]) => ({ kind, name: spec.name, spec: spec as StoredSpecs[RegistryKind], hash: specHash(spec) }))
}

export function specHash(spec: unknown): string {
  return hashValue(spec)
}

/** Top-level fields whose values differ between two stored specs. */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
  return keys.filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k])).sort()
}
