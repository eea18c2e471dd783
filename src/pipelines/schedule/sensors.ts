import { readdir, stat } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { hashFile, hashValue } from '../../core/index.js'
import { resultsRepo, type MetadataStore } from '../../metadata/index.js'
import type { SensorCondition, SensorLeaf } from '../definition.js'

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
