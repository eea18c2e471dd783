import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import lockfile from 'proper-lockfile'

/** How long to wait for a fixed port that something outside the tests holds, before failing. */
const PORT_FREE_WAIT_MS = 60_000

/**
 * Runs `fn` while holding a machine-wide lock on `port`, once the port is free. Tests that listen
 * on a fixed port (the default one a user gets) would otherwise collide with each other and with
 * other checkouts' test runs on the same machine. The lock is a directory in the temp dir
 * (proper-lockfile), refreshed while held and taken over when its holder died without releasing it.
 */
export async function withPortLock<T>(port: number, fn: () => Promise<T>): Promise<T> {
  const release = await lockfile.lock(join(tmpdir(), `asof-test-port-${port}`), {
    realpath: false, // the locked path is a name only: no file needs to exist
    stale: 15_000,
    update: 3_000,
    retries: { forever: true, minTimeout: 100, maxTimeout: 1_000 },
  })
  try {
    await waitUntilFree(port)
    return await fn()
  } finally {
    await release()
  }
}

async function waitUntilFree(port: number): Promise<void> {
  const until = Date.now() + PORT_FREE_WAIT_MS
  for (;;) {
    if (await canListen(port)) return
    if (Date.now() > until) throw new Error(`port ${port} on 127.0.0.1 stayed in use for ${PORT_FREE_WAIT_MS / 1000} s by a process outside the tests: stop it and run again`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}
