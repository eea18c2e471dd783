import { mkdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Errors, hashFile, sha256 } from '../core/index.js'

/**
 * A large task output (a dataset, a model) kept on disk; only this reference, with the file's
 * content hash, travels downstream and into the metadata store. A type alias (not an interface)
 * so it is a JSON value.
 */
export type ArtifactRef = {
  kind: 'artifact'
  /** The file name the task gave it. */
  name: string
  /** Absolute path of the file. */
  path: string
  /** sha256 (hex) of the file's bytes. */
  sha256: string
  bytes: number
}

/** Where one task instance writes its large outputs. */
export interface ArtifactStore {
  /** The task instance's artifact directory (`.asof/artifacts/<pipeline>/<run>/<task>`). */
  readonly dir: string
  /** Writes bytes or text as artifact `name` and returns its reference. */
  write(name: string, data: string | Uint8Array): Promise<ArtifactRef>
  /**
   * The path to write artifact `name` to yourself (DuckDB `COPY … TO`, a model's weights); the
   * directory exists when this resolves. Call `record(name)` once the file is complete.
   */
  pathFor(name: string): Promise<string>
  /** Hashes the finished file `name` and returns its reference. */
  record(name: string): Promise<ArtifactRef>
}

const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** The artifact store for one task instance under `root` (`<home>/artifacts`). */
export function artifactStore(root: string, pipeline: string, runId: string, taskKey: string): ArtifactStore {
  const dir = join(root, pipeline, runId, taskKey)
  const pathFor = async (name: string) => {
    if (!ARTIFACT_NAME.test(name)) throw Errors.badInput('artifact name', `${JSON.stringify(name)} must be a plain file name (letters, digits, . _ -)`)
    await mkdir(dir, { recursive: true })
    return join(dir, name)
  }
  const record = async (name: string): Promise<ArtifactRef> => {
    const path = await pathFor(name)
    const info = await stat(path)
    return { kind: 'artifact', name, path, sha256: await hashFile(path), bytes: info.size }
  }
  return {
    dir,
    pathFor,
    record,
    async write(name, data) {
      const path = await pathFor(name)
      await writeFile(path, data)
      return { kind: 'artifact', name, path, sha256: sha256(data), bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength }
    },
  }
}

export function isArtifactRef(value: unknown): value is ArtifactRef {
  const v = value as Partial<ArtifactRef> | null
  return !!v && typeof v === 'object' && v.kind === 'artifact' && typeof v.path === 'string' && typeof v.sha256 === 'string'
}

/** Every artifact reference inside a JSON value (outputs may nest them). */
export function collectArtifactRefs(value: unknown, out: ArtifactRef[] = []): ArtifactRef[] {
  if (isArtifactRef(value)) out.push(value)
  else if (Array.isArray(value)) for (const v of value) collectArtifactRefs(v, out)
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectArtifactRefs(v, out)
  return out
}

/** True when every artifact an output references still exists with the recorded content. */
export async function artifactsIntact(value: unknown): Promise<boolean> {
  for (const ref of collectArtifactRefs(value)) {
    try {
      if ((await hashFile(ref.path)) !== ref.sha256) return false
    } catch {
      return false
    }
  }
  return true
}
