import { isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import { formatFeatureRef, parseViewName, type FeatureStore } from '../../featurestore/index.js'
import type { ArtifactRef, ArtifactStore } from '../artifacts.js'
import type { SignatureColumn } from '../models/model-registry.js'

const NAME_WITH_VERSION = /^[A-Za-z_][A-Za-z0-9_]*(@[1-9][0-9]*)?$/

/** The `params:` of the extract task. */
export const extractSpecSchema = z.object({
  /** Entity rows (keys, event timestamps, the label): .parquet, .csv or .json, relative to the repo. */
  entities: z.string().min(1),
  /**
   * Feature references. `view@N:feature` reads version N whatever is applied later;
   * `view:feature` is pinned to the version current when the run extracts (and recorded).
   */
  features: z.array(z.string().min(1)).min(1).optional(),
  /**
   * A feature service instead of `features`: `NAME` (its current version) or `NAME@N`. Its entries'
   * aliases and join-key maps apply as in `asof historical --feature-service`.
   */
  feature_service: z.string().regex(NAME_WITH_VERSION, 'expected a feature service name, optionally with @VERSION').optional(),
  /**
   * Pins `view: N` for every reference to the view that names no version (`view:feature`, or a
   * service entry without `@N`), so a later apply does not change what the pipeline reads.
   */
  versions: z.record(z.string(), z.number().int().positive()).default({}),
  full_feature_names: z.boolean().default(false),
  timestamp_column: z.string().min(1).default('event_timestamp'),
  filter_by_created_timestamp: z.boolean().default(false),
}).refine((s) => (s.features === undefined) !== (s.feature_service === undefined), {
  message: 'give exactly one of features (a list of view:feature references) or feature_service (a service name)',
  path: ['features'],
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
  /** The view versions read: the run's pins. */
  feature_views: { name: string; version: number }[]
  /** The service version read, when extracting a feature service. */
  feature_service: { name: string; version: number } | null
  /** The columns online serving returns for these features, with their types. */
  serving_schema: SignatureColumn[]
}

const SIGNATURE_TYPES: Record<string, SignatureColumn['type']> = {
  bool: 'boolean', int32: 'long', int64: 'long', float32: 'double', float64: 'double', string: 'string',
}

export type DatasetFeatureStore = Pick<FeatureStore, 'repoDir' | 'writeHistorical'>

/**
 * Point-in-time retrieval of the training dataset into `dataset.parquet`. The retrieval reports
 * the service and view versions it resolved, so the recorded lineage is exactly what was read even
 * when an apply lands while the run extracts.
 */
export async function extractDataset(store: DatasetFeatureStore, spec: ExtractSpec, artifacts: ArtifactStore): Promise<ExtractOutput> {
  const service = spec.feature_service !== undefined ? parseViewName(spec.feature_service, 'extract: feature_service') : undefined
  const path = await artifacts.pathFor('dataset.parquet')
  const entities = isAbsolute(spec.entities) ? spec.entities : resolve(store.repoDir, spec.entities)
  const written = await store.writeHistorical({
    entities: { kind: 'file', path: entities },
    ...(service ? { featureService: service.view, featureServiceVersion: service.version } : { features: spec.features }),
    viewVersions: spec.versions,
    fullFeatureNames: spec.full_feature_names,
    timestampColumn: spec.timestamp_column,
    filterByCreatedTimestamp: spec.filter_by_created_timestamp,
  }, path)
  const features = written.read.views.flatMap((v) => v.features.map((f) => ({ ...f, view: v.view, version: v.version })))
  const featureViews = [...new Map(written.read.views.map((v) => [`${v.view}@${v.version}`, { name: v.view, version: v.version }])).values()]
  return {
    dataset: await artifacts.record('dataset.parquet'),
    rows: written.rows,
    columns: written.columns,
    feature_columns: features.map((f) => f.output),
    feature_refs: features.map(formatFeatureRef),
    feature_views: featureViews,
    feature_service: written.read.featureService ?? null,
    serving_schema: features.map((f): SignatureColumn => ({ name: f.output, type: SIGNATURE_TYPES[f.dtype] ?? 'string' })),
  }
}
