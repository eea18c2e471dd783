import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { processAlive, type AsofConfig } from '../core/index.js'

/**
 * The server-file protocol: in embedded mode `asof serve` owns the repo's DuckDB file and
 * announces itself in `<home>/server.json` (`{url, pid}`), so that other processes on the repo —
 * the CLI, `openRepoClient` — send their work to it instead of failing on the file lock.
 */
export function serverFilePath(home: string): string {
  return join(home, 'server.json')
}

export const serverFileSchema = z.object({ url: z.string().url(), pid: z.number().int().positive() })
export type ServerFile = z.infer<typeof serverFileSchema>

/** The server file's contents, or undefined when there is none or it is unreadable. */
export function readServerFile(home: string): ServerFile | undefined {
  try {
    const parsed = serverFileSchema.safeParse(JSON.parse(readFileSync(serverFilePath(home), 'utf8')))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

/** Announces this process's server; returns the function that withdraws it (only if it is still ours). */
export function announceServer(home: string, url: string): () => void {
  mkdirSync(home, { recursive: true })
  writeFileSync(serverFilePath(home), `${JSON.stringify({ url, pid: process.pid } satisfies ServerFile)}\n`)
  return () => {
    if (readServerFile(home)?.pid === process.pid) rmSync(serverFilePath(home), { force: true })
  }
}

/**
 * The server announced for this repo, when its process is alive and `/health` answers within a
 * second; undefined otherwise (a stale file from a killed server is ignored). Server mode has no
 * file lock, so there is never one to find.
 */
export async function findRunningServer(config: AsofConfig): Promise<ServerFile | undefined> {
  if (config.databaseUrl) return undefined
  const file = readServerFile(config.home)
  if (!file || !processAlive(file.pid)) return undefined
  try {
    const r = await fetch(`${file.url}/health`, { signal: AbortSignal.timeout(1000) })
    await r.body?.cancel()
    return r.ok ? file : undefined
  } catch {
    return undefined
  }
}
