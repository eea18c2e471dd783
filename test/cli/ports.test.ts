import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_API_PORT, FETCH_BLOCKED_PORTS, loadConfig } from '../../src/core/index.js'
import { tempDir } from '../helpers/engines.js'
import { runAsof, spawnAsof } from '../helpers/cli.js'
import { withPortLock } from '../helpers/port-lock.js'

/** What Node's own fetch says when asked for http://127.0.0.1:port (nothing needs to listen). */
async function fetchRefusal(port: number): Promise<string> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) })
    return 'answered'
  } catch (e) {
    return String((e as Error & { cause?: Error }).cause?.message ?? (e as Error).message)
  }
}

describe('the default port', () => {
  it('is one fetch accepts, and the blocked list is exactly the ports Node\'s fetch refuses as "bad port"', async () => {
    assert.equal(loadConfig({}, {}).api.port, DEFAULT_API_PORT)
    assert.equal(FETCH_BLOCKED_PORTS.has(DEFAULT_API_PORT), false)
    assert.doesNotMatch(await fetchRefusal(DEFAULT_API_PORT), /bad port/)
    for (const port of FETCH_BLOCKED_PORTS) assert.match(await fetchRefusal(port), /bad port/, `port ${port}`)
    // neighbours of listed ports are not blocked: the list is not broader than the standard's
    for (const port of [6565, 6568, 10081]) assert.doesNotMatch(await fetchRefusal(port), /bad port/, `port ${port}`)
  })

  it('asof serve with no --port listens on it: its printed URLs answer fetch, and a CLI command beside it goes through the API', async () => {
    const repo = tempDir('asof-port-')
    try {
      await withPortLock(DEFAULT_API_PORT, async () => {
        const server = spawnAsof(['--repo', repo.dir, 'serve', '--no-scheduler'])
        try {
          const [, url] = await server.waitFor(/serving \w+ mode on (\S+)/)
          assert.equal(url, `http://127.0.0.1:${DEFAULT_API_PORT}`)
          const [links] = await server.waitFor(/API docs: .*$/m)
          const printed = [...links.matchAll(/http\S+/g)].map((m) => m[0])
          assert.deepEqual(printed, [`${url}/docs`, `${url}/metrics`, `${url}/health`])
          for (const link of printed) assert.equal((await fetch(link)).status, 200, link)

          // the server holds the DuckDB file; a CLI beside it must reach it with fetch, not report a lock
          const beside = await runAsof(['--repo', repo.dir, '--json', 'keys', 'list'])
          assert.equal(beside.status, 0, beside.stderr)
          assert.deepEqual(JSON.parse(beside.stdout), [])
          assert.equal(server.stderr, '', 'no warning for the default port')
          assert.equal((await server.stop()).status, 0)
        } finally {
          server.kill()
        }
      })
    } finally {
      repo.remove()
    }
  })

  it('asof serve on a blocked port says so before it listens, naming the port and --port', async () => {
    const repo = tempDir('asof-port-')
    try {
      await withPortLock(6566, async () => {
        const server = spawnAsof(['--repo', repo.dir, 'serve', '--no-scheduler', '--port', '6566'])
        try {
          const [warning] = await server.waitFor(/^asof: warning: .*$/m, 'stderr')
          assert.match(warning, /port 6566 is on the Fetch standard's list of blocked ports/)
          assert.match(warning, new RegExp(`--port \\(the default is ${DEFAULT_API_PORT}\\)`))
          await server.waitFor(/serving \w+ mode on http:\/\/127\.0\.0\.1:6566/) // a warning, not a refusal
          assert.equal((await server.stop()).status, 0)
        } finally {
          server.kill()
        }
      })
    } finally {
      repo.remove()
    }
  })
})
