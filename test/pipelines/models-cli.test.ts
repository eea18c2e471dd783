import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { resolve } from 'node:path'
import { tempDir } from '../helpers/engines.js'
import { loadConfig } from '../../src/core/index.js'
import { composeAsof } from '../../src/asof.js'
import { fixtureVersion } from './models-fixtures.js'

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'asof.js')
const repo = tempDir()

function asof(...args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ASOF_')))
  return spawnSync(process.execPath, [BIN, '--repo', repo.dir, ...args], { encoding: 'utf8', env })
}

describe('asof models (real CLI)', () => {
  before(async () => {
    const a = await composeAsof(loadConfig({ repoDir: repo.dir, logLevel: 'silent' }, {}))
    try {
      await a.models.register(fixtureVersion('eta', 'run-1', 0.5))
      await a.models.register(fixtureVersion('eta', 'run-2', 0.75))
    } finally {
      await a.close()
    }
  })
  after(() => repo.remove())

  it('promotes a version to champion and shows it with metrics and lineage', () => {
    const promoted = asof('models', 'promote', 'eta', '1')
    assert.equal(promoted.status, 0, promoted.stderr)
    assert.equal(promoted.stdout, 'eta#champion → version 1\n')
    const shown = asof('models', 'show', 'eta#champion')
    assert.equal(shown.status, 0, shown.stderr)
    assert.match(shown.stdout, /^eta@1 \[champion\]/)
    assert.match(shown.stdout, /metrics: r2=0\.5\n/)
    assert.match(shown.stdout, /Berlin: r2=0\.4\n/)
    assert.match(shown.stdout, /feature views: driver_stats@2/)
    assert.match(shown.stdout, /checkpoint results: r1/)
  })

  it('lists with filters, as JSON too', () => {
    assert.equal(asof('models', 'tag', 'eta@2', 'stage=candidate').status, 0)
    const listed = asof('--json', 'models', 'list', '--tag', 'stage=candidate')
    assert.equal(listed.status, 0, listed.stderr)
    assert.deepEqual(JSON.parse(listed.stdout).map((v: { version: number }) => v.version), [2])
    const all = asof('models', 'list', '--name', 'eta')
    assert.deepEqual(all.stdout.trim().split('\n').map((l) => l.split(' ')[0]), ['eta@2', 'eta@1'])
  })

  it('exits 2 with one message on bad input', () => {
    const bad = asof('models', 'show', 'eta@x')
    assert.equal(bad.status, 2)
    assert.match(bad.stderr, /^asof: model reference: expected NAME, NAME@VERSION or NAME#ALIAS/)
    const badTag = asof('models', 'list', '--tag', 'novalue')
    assert.equal(badTag.status, 2)
    assert.match(badTag.stderr, /--tag: expected key=value/)
  })

  it('works through a running asof serve that holds the database', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ASOF_')))
    const server = spawn(process.execPath, [BIN, '--repo', repo.dir, '--json', 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'ignore'] })
    try {
      let out = ''
      server.stdout!.setEncoding('utf8')
      for await (const chunk of server.stdout!) {
        out += chunk
        if (out.includes('\n')) break
      }
      const promoted = asof('models', 'promote', 'eta', '2', '--alias', 'challenger')
      assert.equal(promoted.status, 0, promoted.stderr)
      const shown = asof('--json', 'models', 'show', 'eta#challenger')
      assert.equal(shown.status, 0, shown.stderr)
      assert.equal(JSON.parse(shown.stdout).version, 2)
      const listed = asof('models', 'list', '--alias', 'challenger')
      assert.deepEqual(listed.stdout.trim().split('\n').map((l) => l.split(' ')[0]), ['eta@2'])
      const unknown = asof('models', 'show', 'nope')
      assert.equal(unknown.status, 2)
      assert.match(unknown.stderr, /unknown model "nope"/)
    } finally {
      server.kill('SIGTERM')
      await once(server, 'exit')
    }
  })
})
