import { readdir, stat } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { Errors, hashFile, hashValue, type Logger } from '../../core/index.js'
import { compareColumns, datasetDrift, relationSide, type BatchResolver, type BatchSpec } from '../../expectations/index.js'
import { resultsRepo, type MetadataStore } from '../../metadata/index.js'
import type { DriftSensor, SensorCondition, SensorLeaf } from '../definition.js'
import type { ModelRegistry } from '../models/model-registry.js'

/**
 * Sensors as conditions evaluated on scheduler ticks (Airflow's "reschedule" mode, and its
 * dataset triggers): nothing sleeps while waiting. Each leaf condition reads a fingerprint of what
 * it watches; it holds when the fingerprint exists and differs from the one recorded the last time
 * it started a run.
 */

export interface LeafReading {
  /** Stable id of the leaf inside the pipeline (a hash of its definition). */
  key: string
  leaf: SensorLeaf
  /** What the watched thing looks like now; undefined when the condition cannot hold (no file, red checkpoint). */
  fingerprint: string | undefined
}

export interface SensorContext {
  metadata: MetadataStore
  repoDir: string
  log: Logger
  /** Reads a drift sensor's batches (files, tables, queries, feature views). */
  resolveBatch?: BatchResolver
  /** Finds the model version a drift sensor's reference alias points at. */
  models?: ModelRegistry
}

export function leafKey(leaf: SensorLeaf): string {
  return hashValue(leaf).slice(0, 16)
}

/** Every leaf of a condition tree, in definition order. */
export function leavesOf(c: SensorCondition): SensorLeaf[] {
  if ('all' in c) return c.all.flatMap(leavesOf)
  if ('any' in c) return c.any.flatMap(leavesOf)
  return [c]
}

/** Reads the fingerprint a leaf watches. */
export async function readLeaf(leaf: SensorLeaf, ctx: SensorContext): Promise<string | undefined> {
  if ('file' in leaf) return fileFingerprint(resolve(ctx.repoDir, leaf.file.path))
  if ('feature_view' in leaf) return featureViewFingerprint(ctx.metadata, leaf.feature_view.name, leaf.feature_view.project)
  if ('drift' in leaf) return driftFingerprint(leaf.drift, ctx)
  return checkpointFingerprint(ctx.metadata, leaf.checkpoint.name)
}

/** The condition tree's value, given which leaves changed since the last run they started. */
export function conditionHolds(c: SensorCondition, changed: (leaf: SensorLeaf) => boolean): boolean {
  if ('all' in c) return c.all.every((x) => conditionHolds(x, changed))
  if ('any' in c) return c.any.some((x) => conditionHolds(x, changed))
  return changed(c)
}

/** A file, or every file under a directory: names and content hashes (so a touch without a change is no change). */
async function fileFingerprint(path: string): Promise<string | undefined> {
  let info
  try {
    info = await stat(path)
  } catch {
    return undefined
  }
  if (!info.isDirectory()) return hashFile(path)
  const files = (await readdir(path, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .sort()
  if (files.length === 0) return undefined
  const entries: [string, string][] = []
  for (const f of files) entries.push([relative(path, f), await hashFile(f)])
  return hashValue(entries)
}

/** The feature view's current version (the newest across projects when none is named). */
async function featureViewFingerprint(metadata: MetadataStore, name: string, project: string | undefined): Promise<string | undefined> {
  let q = metadata.db.selectFrom('registry_objects').select(['project', 'current_version'])
    .where('kind', '=', 'feature_view').where('name', '=', name)
  if (project !== undefined) q = q.where('project', '=', project)
  const rows = await q.orderBy('project').execute()
  return rows.length ? rows.map((r) => `${r.project}@${Number(r.current_version)}`).join(',') : undefined
}

const CHECKPOINT_HISTORY = 200

/**
 * The first passing result of the checkpoint's current run of passing results: it changes only
 * when the checkpoint turns green again after failing (or passes for the first time).
 */
async function checkpointFingerprint(metadata: MetadataStore, checkpoint: string): Promise<string | undefined> {
  const results = await resultsRepo.listResults(metadata.db, { checkpoint, limit: CHECKPOINT_HISTORY })
  let firstGreen: string | undefined
  for (const r of results) {
    if (!r.success) break
    firstGreen = r.id
  }
  return firstGreen
}

/**
 * Undefined while the current batch does not drift from the reference; when it drifts, a hash of
 * both batches' distributions over the compared columns (and the test settings). The same drifted
 * data therefore starts one run however many ticks see it; new data that still drifts, or a new
 * reference (the alias moved to a model trained on other data), starts the next one.
 */
async function driftFingerprint(sensor: DriftSensor, ctx: SensorContext): Promise<string | undefined> {
  if (!ctx.resolveBatch) throw Errors.badInput('sensors.drift', 'drift sensors need the batch resolver of an opened asof')
  let referenceSpec: BatchSpec
  let modelInputs: string[] | undefined
  if (sensor.reference.type === 'model') {
    if (!ctx.models) throw Errors.badInput('sensors.drift.reference', 'a model reference needs the model registry of an opened asof')
    const { name: model, alias } = sensor.reference
    const version = await ctx.models.findByAlias(model, alias)
    if (!version) {
      ctx.log.debug({ model, alias }, 'drift sensor: no version holds the alias yet, nothing to compare with')
      return undefined
    }
    referenceSpec = { type: 'dataset', path: version.lineage.dataset.uri }
    modelInputs = version.signature.inputs.map((c) => c.name)
  } else {
    referenceSpec = sensor.reference
  }
  const [reference, current] = [await ctx.resolveBatch(referenceSpec), await ctx.resolveBatch(sensor.current)]
  const { drifts, distributions } = await compareColumns(
    await relationSide(reference.engine, reference.relation, `the reference (${reference.description})`),
    await relationSide(current.engine, current.relation, `the current batch (${current.description})`),
    sensor.columns ?? modelInputs, () => ({ test: sensor.test, threshold: sensor.threshold }), 'sensors.drift.columns')
  const drift = datasetDrift(drifts, sensor.drift_share)
  if (!drift.drifted) return undefined
  ctx.log.info({ reference: reference.description, current: current.description, drifted: drifts.filter((d) => d.drifted) }, 'drift sensor: the current batch drifts')
  return hashValue({ distributions, test: sensor.test ?? null, threshold: sensor.threshold ?? null, drift_share: sensor.drift_share })
}
