import { hashValue } from '../core/index.js'
import { isArtifactRef } from './artifacts.js'
import type { JsonValue } from './task.js'

/**
 * Task caching as Kubeflow Pipelines does it: a task whose type, code version, parameters and
 * input *contents* match an earlier successful execution reuses that execution's outputs.
 */
export interface CacheKeyParts {
  uses: string
  version?: string
  params: unknown
  inputs: Readonly<Record<string, JsonValue>>
  mapItem?: JsonValue
}

/**
 * The cache key. Artifact references count by content hash only, so the same dataset written
 * by two runs (two paths) is the same input.
 */
export function cacheKey(parts: CacheKeyParts): string {
  return hashValue({
    uses: parts.uses,
    version: parts.version ?? null,
    params: parts.params ?? null,
    inputs: contentOf(parts.inputs),
    item: parts.mapItem === undefined ? null : contentOf(parts.mapItem),
  })
}

function contentOf(value: unknown): unknown {
  if (isArtifactRef(value)) return { artifact_sha256: value.sha256 }
  if (Array.isArray(value)) return value.map(contentOf)
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, contentOf(v)]))
  return value
}

/** The oldest end time a reusable execution may have, for a staleness limit in seconds (undefined: any). */
export function cacheNotBefore(now: Date, maxStalenessSeconds: number | undefined): string | undefined {
  if (maxStalenessSeconds === undefined) return undefined
  return new Date(now.getTime() - maxStalenessSeconds * 1000).toISOString()
}
