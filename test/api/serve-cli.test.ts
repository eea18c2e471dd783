import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/engines.js'
import { runAsofSync, spawnAsof, type CliProcess } from '../helpers/cli.js'
import { HOUR, bearer, call, iso, writeDriverRepo } from './helpers.js'

/** Runs the real CLI; ASOF_* variables come only from `env`. */
function asof(args: string[], env: Record<string, string> = {}) {
  return runAsofSync(args, { env })
}

async function serve(repo: string): Promise<{ server: CliProcess; url: string; open: boolean }> {
  const server = spawnAsof(['--repo', repo, '--json', 'serve', '--port', '0'])
  const [line] = await server.waitFor(/^\{.*\}$/m)
  const started = JSON.parse(line) as { url: string; open: boolean }
  return { server, url: started.url, open: started.open }
}

describe('asof serve and asof keys (real processes)', () => {
  it('runs open on localhost without keys, lets the CLI (apply, materialize, online, keys) work through it, and drains in-flight requests on SIGTERM', async () => {
    const { dir, remove } = tempDir('asof-serve-')
    writeDriverRepo(dir, Date.now())
    mkdirSync(join(dir, 'pipelines'))
    writeFileSync(join(dir, 'pipelines', 'nap.yaml'), 'name: nap\ntasks:\n  - { id: nap, uses: sleep, params: { ms: 1500 } }\n')
    const { server, url, open } = await serve(dir)
    const { child } = server
    try {
      assert.equal(open, true)
      const file = JSON.parse(readFileSync(join(dir, '.asof', 'server.json'), 'utf8'))
      assert.deepEqual(file, { url, pid: child.pid })

      // the server holds the DuckDB file: apply, materialize, online and keys go through its API
      const now = Date.now()
      for (const args of [['apply'], ['materialize', iso(now - 10 * 24 * HOUR), iso(now)]]) {
        const r = asof(['--repo', dir, '--json', ...args])
        assert.equal(r.status, 0, `${args[0]}: ${r.stderr}`)
      }
      const online = asof(['--repo', dir, '--json', 'online', '--features', 'driver_hourly_stats:conv_rate', '--entity', 'driver_id=1001'])
      assert.equal(online.status, 0, online.stderr)
      assert.deepEqual(JSON.parse(online.stdout).results[1].values, [0.75])

      const created = asof(['--repo', dir, '--json', 'keys', 'create', '--scope', 'admin', '--name', 'ops'])
      assert.equal(created.status, 0, created.stderr)
      const key = JSON.parse(created.stdout)
      assert.equal(key.scope, 'admin')
      assert.equal((await call(url, 'GET', '/api/v1/keys')).status, 401, 'no longer open once a key exists')

      const listedWithout = asof(['--repo', dir, 'keys', 'list'])
      assert.equal(listedWithout.status, 2)
      assert.match(listedWithout.stderr, /ASOF_API_KEY/)
      const listed = asof(['--repo', dir, '--json', 'keys', 'list'], { ASOF_API_KEY: key.secret })
      assert.equal(listed.status, 0, listed.stderr)
      assert.deepEqual(JSON.parse(listed.stdout).map((k: { id: string }) => k.id), [key.id])

      const badScope = asof(['--repo', dir, 'keys', 'create', '--scope', 'root'], { ASOF_API_KEY: key.secret })
      assert.equal(badScope.status, 2)
      assert.match(badScope.stderr, /--scope/)

      // a server that does not answer (stopped) still holds the file: the CLI says who and what to do
      child.kill('SIGSTOP')
      const blocked = asof(['--repo', dir, 'keys', 'list'])
      child.kill('SIGCONT')
      assert.equal(blocked.status, 3)
      assert.match(blocked.stderr, new RegExp(`pid ${child.pid}.*${url.replace(/[.]/g, '\\.')}`))

      // a request in flight when SIGTERM arrives is answered before the process exits
      const inFlight = fetch(`${url}/api/v1/pipelines/nap/runs?wait=true`, { method: 'POST', headers: { ...bearer(key.secret), 'content-type': 'application/json' }, body: '{}' })
      await new Promise((r) => setTimeout(r, 400))
      const exited = server.stop()
      const answered = await inFlight
      assert.equal(answered.status, 201)
      assert.equal(((await answered.json()) as { run: { state: string } }).run.state, 'success')
      assert.equal((await exited).status, 0)
      assert.equal(existsSync(join(dir, '.asof', 'server.json')), false, 'server file removed')

      // the server is gone: the CLI opens the database itself
      const local = asof(['--repo', dir, '--json', 'keys', 'revoke', key.id])
      assert.equal(local.status, 0, local.stderr)
    } finally {
      server.kill()
      remove()
    }
  })

  it('refuses to serve open on a non-loopback address', () => {
    const { dir, remove } = tempDir('asof-serve-')
    try {
      const r = asof(['--repo', dir, 'serve', '--host', '0.0.0.0', '--port', '0'])
      assert.equal(r.status, 2)
      assert.match(r.stderr, /asof keys create --scope admin/)
    } finally {
      remove()
    }
  })
})
