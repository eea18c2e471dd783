import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { once } from 'node:events'
import { tempDir } from '../helpers/engines.js'
import { HOUR, bearer, call, iso, writeDriverRepo } from './helpers.js'

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'asof.js')

/** Runs the real CLI; ASOF_* variables come only from `env`. */
function asof(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ASOF_')))
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...clean, ...env } })
}

async function serve(repo: string): Promise<{ child: ChildProcess; url: string; open: boolean }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ASOF_')))
  const child = spawn(process.execPath, [BIN, '--repo', repo, '--json', 'serve', '--port', '0'], { env: clean, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.setEncoding('utf8')
  for await (const chunk of child.stdout!) {
    out += chunk
    if (out.includes('\n')) break
  }
  const started = JSON.parse(out.split('\n')[0]!)
  return { child, url: started.url, open: started.open }
}

describe('asof serve and asof keys (real processes)', () => {
  it('runs open on localhost without keys, lets the CLI (apply, materialize, online, keys) work through it, and drains in-flight requests on SIGTERM', async () => {
    const { dir, remove } = tempDir('asof-serve-')
    writeDriverRepo(dir, Date.now())
    mkdirSync(join(dir, 'pipelines'))
    writeFileSync(join(dir, 'pipelines', 'nap.yaml'), 'name: nap\ntasks:\n  - { id: nap, uses: sleep, params: { ms: 1500 } }\n')
    const { child, url, open } = await serve(dir)
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
      child.kill('SIGTERM')
      const answered = await inFlight
      assert.equal(answered.status, 201)
      assert.equal(((await answered.json()) as { run: { state: string } }).run.state, 'success')
      const [code] = await once(child, 'exit')
      assert.equal(code, 0)
      assert.equal(existsSync(join(dir, '.asof', 'server.json')), false, 'server file removed')

      // the server is gone: the CLI opens the database itself
      const local = asof(['--repo', dir, '--json', 'keys', 'revoke', key.id])
      assert.equal(local.status, 0, local.stderr)
    } finally {
      child.kill('SIGKILL')
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
