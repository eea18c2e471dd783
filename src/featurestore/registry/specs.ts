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

/**
 * A hash of what a spec says about data, leaving out its annotations (description, owner, tags,
 * and a feature view's per-feature descriptions and source snapshot's annotations): two specs
 * with the same data hash read the same rows the same way, so a change between them needs no new version.
 */
export function dataHash(kind: RegistryKind, spec: unknown): string {
  const plain = withoutAnnotations(spec as Record<string, unknown>)
  if (kind === 'feature_view') {
    const view = spec as unknown as StoredFeatureView
    plain.schema = view.schema.map(({ description: _, ...feature }) => feature)
    plain.source = withoutAnnotations(view.source as unknown as Record<string, unknown>)
  }
  return hashValue(plain)
}

function withoutAnnotations(spec: Record<string, unknown>): Record<string, unknown> {
  const { description: _d, owner: _o, tags: _t, ...rest } = spec
  return rest
}

/** Top-level fields whose values differ between two stored specs. */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
  return keys.filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k])).sort()
}
