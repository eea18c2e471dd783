import { isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import { formatFeatureRef, parseFeatureRef, type FeatureStore } from '../../featurestore/index.js'
import type { ArtifactRef, ArtifactStore } from '../artifacts.js'
import type { SignatureColumn } from '../models/model-registry.js'

/** The `params:` of the extract task. */
export const extractSpecSchema = z.object({
  /** Entity rows (keys, event timestamps, the label): .parquet, .csv or .json, relative to the repo. */
  entities: z.string().min(1),
  /**
   * Feature references. `view@N:feature` reads version N whatever is applied later;
   * `view:feature` is pinned to the version current when the run extracts (and recorded).
   */
  features: z.array(z.string().min(1)).min(1),
  timestamp_column: z.string().min(1).default('event_timestamp'),
  filter_by_created_timestamp: z.boolean().default(false),
})
export type ExtractSpec = z.output<typeof extractSpecSchema>

/** What extract hands downstream: the dataset file with its hash, and where its features came from. */
export type ExtractOutput = {
  dataset: ArtifactRef
  rows: number
  columns: string[]
  feature_columns: string[]
  /** Every reference, pinned (`view@N:feature`). */
  feature_refs: string[]
  feature_views: { name: string; version: number }[]
  /** The columns online serving returns for these features, with their types. */
  serving_schema: SignatureColumn[]
}

const SIGNATURE_TYPES: Record<string, SignatureColumn['type']> = {
  bool: 'boolean', int32: 'long', int64: 'long', float32: 'double', float64: 'double', string: 'string',
}

export type DatasetFeatureStore = Pick<FeatureStore, 'repoDir' | 'writeHistorical' | 'resolveFeatureView'>

/**
 * Point-in-time retrieval of the training dataset into `dataset.parquet`, every feature reference
 * pinned to an explicit feature-view version first, so the recorded lineage is exactly what was read.
 */
export async function extractDataset(store: DatasetFeatureStore, spec: ExtractSpec, artifacts: ArtifactStore): Promise<ExtractOutput> {
  const refs = spec.features.map((f, i) => parseFeatureRef(f, `extract: features[${i}]`))
  const views = new Map<string, Awaited<ReturnType<DatasetFeatureStore['resolveFeatureView']>>>()
  const pinned = []
  for (const ref of refs) {
    const key = `${ref.view}@${ref.version ?? 'current'}`
    if (!views.has(key)) views.set(key, await store.resolveFeatureView(ref.view, ref.version))
    pinned.push({ ...ref, version: views.get(key)!.version })
  }
  const featureRefs = pinned.map(formatFeatureRef)
  const path = await artifacts.pathFor('dataset.parquet')
  const entities = isAbsolute(spec.entities) ? spec.entities : resolve(store.repoDir, spec.entities)
  const written = await store.writeHistorical({
    entities: { kind: 'file', path: entities },
    features: featureRefs,
    timestampColumn: spec.timestamp_column,
    filterByCreatedTimestamp: spec.filter_by_created_timestamp,
  }, path)
  const servingSchema = pinned.map((ref): SignatureColumn => {
    const dtype = [...views.values()].find((v) => v.name === ref.view && v.version === ref.version)!.spec.schema.find((f) => f.name === ref.feature)?.dtype
    return { name: ref.feature, type: SIGNATURE_TYPES[dtype ?? ''] ?? 'string' }
  })
  const featureViews = [...new Map(pinned.map((r) => [`${r.view}@${r.version}`, { name: r.view, version: r.version }])).values()]
  return {
    dataset: await artifacts.record('dataset.parquet'),
    rows: written.rows,
    columns: written.columns,
    feature_columns: pinned.map((r) => r.feature),
    feature_refs: featureRefs,
    feature_views: featureViews,
    serving_schema: servingSchema,
  }
}
