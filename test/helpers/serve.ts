import type { ChildProcess } from 'node:child_process'
import { BIN, CliProcess } from './cli.js'

/**
 * A real `asof serve` on an ephemeral port for `repo` (with `serveArgs`), started once it has
 * announced itself, under the CLI deadline. `env` is added to a clean environment (no ASOF_* of
 * the caller's). `bin`: another checkout's `bin/asof.js` (benchmarks compare against one).
 */
export async function startServe(repo: string, env: NodeJS.ProcessEnv, serveArgs: readonly string[] = [], bin = BIN, deadlineMs?: number): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  const server = new CliProcess(process.execPath, [bin, '--repo', repo, '--json', 'serve', '--port', '0', ...serveArgs], { env, deadlineMs })
  const [line] = await server.waitFor(/^\{.*\}$/m)
  const { url } = JSON.parse(line) as { url: string }
  return { child: server.child, url, stop: async () => void (await server.stop()) }
}
