import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { resolve } from 'node:path'

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'asof.js')

/**
 * A real `asof serve` on an ephemeral port for `repo` (with `serveArgs`), started once it has
 * announced itself. `bin`: another checkout's `bin/asof.js` (benchmarks compare against one).
 */
export async function startServe(repo: string, env: NodeJS.ProcessEnv, serveArgs: readonly string[] = [], bin = BIN): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [bin, '--repo', repo, '--json', 'serve', '--port', '0', ...serveArgs], { env, stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  child.stdout!.setEncoding('utf8')
  for await (const chunk of child.stdout!) {
    out += chunk
    if (out.includes('\n')) break
  }
  const { url } = JSON.parse(out.split('\n')[0]!) as { url: string }
  return {
    child,
    url,
    stop: async () => {
      child.kill('SIGTERM')
      if (child.exitCode === null) await once(child, 'exit')
    },
  }
}
