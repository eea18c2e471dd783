import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { resolve, join } from 'node:path'
import { tempDir } from '../helpers/engines.js'

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'asof.js')
const run = promisify(execFile)

describe('quickstart', () => {
  const tmp = tempDir()
  after(() => tmp.remove())

  it('runs the whole flow, serves, and the curl it prints works as printed', { timeout: 240_000 }, async () => {
    const child = spawn(process.execPath, [BIN, 'quickstart', '--dir', join(tmp.dir, 'qs'), '--port', '0', '--drivers', '20', '--hours', '100'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (d) => { stderr += d })
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)))
    const curl = await new Promise<string>((res, rej) => {
      child.stdout.on('data', (d) => {
        stdout += d
        const line = stdout.split('\n').find((l) => l.startsWith('curl '))
        if (line) res(line)
      })
      child.on('exit', (code) => rej(new Error(`quickstart exited ${code} before serving:\n${stdout}\n${stderr}`)))
    })
    try {
      for (const step of ['asof apply', 'asof checkpoint run driver_stats', 'asof historical', 'asof materialize', 'asof online', 'asof pipeline run training']) {
        assert.match(stdout, new RegExp(step), `the quickstart reports the step "${step}"`)
      }
      assert.match(stdout, /registered driver_trip_model version \d+/)
      assert.match(stdout, /passed: \d+\/\d+ expectations/)

      const { stdout: body } = await run('bash', ['-c', curl])
      const response = JSON.parse(body) as { metadata: { feature_names: string[] }; results: { values: unknown[]; statuses: string[] }[] }
      assert.deepEqual(response.metadata.feature_names, ['driver_id', 'conv_rate', 'acc_rate', 'avg_daily_trips'])
      assert.deepEqual(response.results[0]!.values, [1001, 1002])
      for (const column of response.results) assert.deepEqual(column.statuses, ['PRESENT', 'PRESENT'])
      assert.equal(typeof response.results[3]!.values[0], 'number')
    } finally {
      child.kill('SIGTERM')
    }
    assert.equal(await exited, 0, `quickstart exits cleanly on SIGTERM:\n${stderr}`)
  })

  it('rejects a bad flag with exit code 2 and one message', async () => {
    const result = await run(process.execPath, [BIN, 'quickstart', '--drivers', 'many', '--dir', join(tmp.dir, 'bad')]).catch((e) => e)
    assert.equal(result.code, 2)
    assert.match(result.stderr, /--drivers: expected a positive whole number/)
  })
})
