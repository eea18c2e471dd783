import { realpathSync } from 'node:fs'
import { isAbsolute, relative, resolve } from 'node:path'
import { Errors } from '../core/index.js'
import type { Asof } from '../asof.js'
import { atField } from '../client/index.js'

/**
 * A file an API request names (a batch, a dataset, an entity file), as its real path (relative to
 * the repo's when inside it), when it lies under the repo or a configured data root
 * (ASOF_DATA_ROOTS) once every symlink is resolved; a path outside them, or a link leading out,
 * is refused (403) without reading the file. The message names the path as given, never
 * anything read from it.
 */
export function allowedFile(asof: Asof, path: string, field: string): string {
  const repo = real(asof.config.repoDir)
  const dataRoots = asof.config.api.dataRoots.map(real).filter((r): r is string => r !== undefined)
  const full = real(resolve(asof.config.repoDir, path))
  if (full === undefined) throw atField(Errors.badInput(field, `no readable file ${JSON.stringify(path)} in the repo or a data root`), field)
  // Inside the repo, the file keeps its repo-relative name: a batch's identity (its description,
  // its metric history) is then the same as a local call's.
  if (repo !== undefined && isUnder(repo, full)) return relative(repo, full) || '.'
  if (!dataRoots.some((root) => isUnder(root, full))) {
    throw atField(Errors.forbidden(`${field}: ${JSON.stringify(path)} is outside the feature repo and the data roots (ASOF_DATA_ROOTS); a server reads only files under them, after resolving symlinks`), field)
  }
  return full
}

function isUnder(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

function real(path: string): string | undefined {
  try {
    return realpathSync(path)
  } catch {
    return undefined
  }
}

/**
 * The input with every file it names resolved by `allowedFile`: what the handler then reads is the
 * checked real path, not the name a symlink could be swapped under.
 */
export function withAllowedFiles(asof: Asof, operation: string, input: Record<string, unknown>): Record<string, unknown> {
  if (operation === 'validation.validate') {
    const batch = input.batch as { type?: string; path?: unknown } | undefined
    if ((batch?.type === 'file' || batch?.type === 'dataset') && typeof batch.path === 'string') {
      return { ...input, batch: { ...batch, path: allowedFile(asof, batch.path, 'body.batch.path') } }
    }
  }
  if (operation === 'historical.retrieve' && typeof input.entity_file === 'string') {
    return { ...input, entity_file: allowedFile(asof, input.entity_file, 'body.entity_file') }
  }
  return input
}
