import { hashValue } from '../core/index.js'
import { collectArtifactRefs, isArtifactRef } from './artifacts.js'
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
  /** False for a task that reads upstream outputs only through its params (TaskDefinition.readsInputs). */
  readsInputs?: boolean
  mapItem?: JsonValue
}

/**
 * The cache key. Artifact references count by content hash only, so the same dataset written
 * by two runs (two paths) is the same input — in the inputs and in the rendered params alike
 * (`"{{ inputs.extract }}"` puts the reference, with its per-run path, into the params). A param
 * string holding an upstream artifact's path (`"{{ inputs.extract.dataset.path }}"`) counts by
 * that artifact's hash too. A task that reads no `ctx.inputs` is keyed on its params alone, so an
 * upstream task it only waits for (a gate whose output names this run's validation results) does
 * not change its key.
 */
export function cacheKey(parts: CacheKeyParts): string {
  const hashes = new Map(collectArtifactRefs([parts.inputs, parts.mapItem ?? null]).map((r) => [r.path, r.sha256]))
  // longest first, so a path that extends another is replaced whole
  const paths = [...hashes.keys()].sort((a, b) => b.length - a.length)
  const content = (value: unknown): unknown => {
    if (isArtifactRef(value)) return { artifact_sha256: value.sha256 }
    if (typeof value === 'string') {
      const exact = hashes.get(value)
      if (exact !== undefined) return { artifact_sha256: exact }
      return paths.reduce((s, p) => (s.includes(p) ? s.split(p).join(`artifact:${hashes.get(p)}`) : s), value)
    }
    if (Array.isArray(value)) return value.map(content)
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, content(v)]))
    return value
  }
  return hashValue({
    uses: parts.uses,
    version: parts.version ?? null,
    params: content(parts.params ?? null),
    inputs: parts.readsInputs === false ? null : content(parts.inputs),
    item: parts.mapItem === undefined ? null : content(parts.mapItem),
  })
}

/** The oldest end time a reusable execution may have, for a staleness limit in seconds (undefined: any). */
export function cacheNotBefore(now: Date, maxStalenessSeconds: number | undefined): string | undefined {
  if (maxStalenessSeconds === undefined) return undefined
  return new Date(now.getTime() - maxStalenessSeconds * 1000).toISOString()
}
