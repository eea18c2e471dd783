import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/engines.js'
import { writeDriverRepo } from '../api/helpers.js'
import { runAsof } from '../helpers/cli.js'

/** What a new user's first mistakes print: one line naming the fault and what to do, exit 2. */
describe('messages for a new user\'s first mistakes (real CLI)', () => {
  const repo = tempDir('asof-messages-')
  writeDriverRepo(repo.dir, Date.now())
  const definitions = readFileSync(join(repo.dir, 'repo.yaml'), 'utf8')
  const asof = (...args: string[]) => runAsof(['--repo', repo.dir, ...args])
  after(() => repo.remove())

  it('a missing suite file or entity file is named, with no engine text', async () => {
    const suite = await asof('validate', '--suite', 'nope.json', '--data', join(repo.dir, 'data', 'driver_stats.csv'))
    assert.equal(suite.status, 2)
    assert.match(suite.stderr, /nope\.json: no such suite file\n$/)
    const entities = await asof('historical', '--entities', 'nope.parquet', '--features', 'driver_hourly_stats:conv_rate', '--output', join(repo.dir, 'o.parquet'))
    assert.equal(entities.status, 2)
    assert.equal(entities.stderr, 'asof: --entities: no such file: nope.parquet\n')
  })

  it('a YAML syntax error shows the offending line; a misspelt key suggests the right one', async () => {
    writeFileSync(join(repo.dir, 'repo.yaml'), 'entities:\n  - name: driver\n    join_keys: [driver_id\n')
    const broken = await asof('plan')
    assert.equal(broken.status, 2)
    assert.match(broken.stderr, /repo\.yaml: cannot parse: .*\n\n {4}join_keys: \[driver_id\n/)
    writeFileSync(join(repo.dir, 'repo.yaml'), definitions.replace(/^feature_views:/m, 'feature_veiws:'))
    const misspelt = await asof('plan')
    assert.equal(misspelt.status, 2)
    assert.match(misspelt.stderr, /Unrecognized key: "feature_veiws" \(did you mean "feature_views"\?\)/)
    writeFileSync(join(repo.dir, 'repo.yaml'), definitions)
  })

  it('a pipeline naming an unknown task type or task is refused when read, with the name it is closest to', async () => {
    const pipelines = join(repo.dir, 'pipelines')
    mkdirSync(pipelines, { recursive: true })
    writeFileSync(join(pipelines, 'daily.yaml'), 'name: daily\ntasks:\n  - { id: first, uses: nop }\n')
    const typo = await asof('pipeline', 'list')
    assert.equal(typo.status, 2, typo.stderr)
    assert.match(typo.stderr, /pipeline daily: task first: uses: unknown task type "nop" \(did you mean "noop"\?\); known: .*noop/)
    writeFileSync(join(pipelines, 'daily.yaml'), 'name: daily\ntasks:\n  - { id: first, uses: noop }\n  - { id: second, uses: noop, depends_on: [frist] }\n')
    const dependency = await asof('pipeline', 'list')
    assert.equal(dependency.status, 2, dependency.stderr)
    assert.match(dependency.stderr, /task second: depends_on: unknown task "frist" \(did you mean "first"\?\); known: first, second/)
    rmSync(pipelines, { recursive: true })
  })

  it('a port in use is named, with --port suggested, and nothing is left behind', async () => {
    const holder = createServer().listen(0, '127.0.0.1')
    await once(holder, 'listening')
    const port = (holder.address() as { port: number }).port
    try {
      const served = await asof('serve', '--port', String(port))
      assert.equal(served.status, 2, served.stderr)
      assert.match(served.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use .*--port`))
      assert.doesNotMatch(served.stderr, /EADDRINUSE|unexpected error/)
    } finally {
      holder.close()
    }
  })
})
