import { describe, it, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { DEFAULT_API_PORT } from '../../src/core/index.js'
import { tempDir } from '../helpers/engines.js'
import { runAsof, spawnAsof } from '../helpers/cli.js'
import { withPortLock } from '../helpers/port-lock.js'
import { BROWSER_SKIP_REASON, launchBrowser } from '../helpers/browser.js'

const run = promisify(execFile)

describe('quickstart', () => {
  const tmp = tempDir()
  let browser: Browser | undefined
  before(async () => { if (!BROWSER_SKIP_REASON) browser = await launchBrowser() })
  after(async () => {
    await browser?.close()
    tmp.remove()
  })

  it('runs the whole flow and serves on the default port, where the URLs and the curl it prints work in fetch, a browser and bash', async () => {
    // npm start passes no --port: the user gets the default, which must be one browsers accept
    await withPortLock(DEFAULT_API_PORT, async () => {
      const child = spawnAsof(['quickstart', '--dir', join(tmp.dir, 'qs'), '--drivers', '20', '--hours', '100'], { deadlineMs: 300_000 })
      try {
        const [curl] = await child.waitFor(/^curl .*$/m)
        const stdout = child.stdout
        for (const step of ['asof apply', 'asof checkpoint run driver_stats', 'asof historical', 'asof materialize', 'asof online', 'asof pipeline run training']) {
          assert.match(stdout, new RegExp(step), `the quickstart reports the step "${step}"`)
        }
        assert.match(stdout, /registered driver_trip_model version \d+/)
        assert.match(stdout, /passed: \d+\/\d+ expectations/)

        const url = /^Serving \w+ mode on (\S+)/m.exec(stdout)?.[1]
        assert.equal(url, `http://127.0.0.1:${DEFAULT_API_PORT}`)
        const printed = [...stdout.matchAll(/^ {2}[A-Za-z ()]+: +(http\S+)$/gm)].map((m) => m[1]!)
        assert.deepEqual(printed, [`${url}/docs`, `${url}/docs/json`, `${url}/metrics`])
        for (const link of printed) {
          const response = await fetch(link) // Node's fetch refuses blocked ports ("bad port")
          assert.equal(response.status, 200, link)
        }

        if (browser) {
          const page = await browser.newPage()
          try {
            const response = await page.goto(`${url}/docs`) // Chromium: ERR_UNSAFE_PORT on a blocked port
            assert.equal(response?.status(), 200)
            await page.locator('.swagger-ui .info .title').waitFor({ timeout: 30_000 }) // Swagger UI rendered the OpenAPI document
            assert.match(await page.locator('.swagger-ui .info .title').innerText(), /asof/i)
          } finally {
            await page.close()
          }
        }

        const { stdout: body } = await run('bash', ['-c', curl], { timeout: 30_000 })
        const response = JSON.parse(body) as { metadata: { feature_names: string[] }; results: { values: unknown[]; statuses: string[] }[] }
        assert.deepEqual(response.metadata.feature_names, ['driver_id', 'conv_rate', 'acc_rate', 'avg_daily_trips'])
        assert.deepEqual(response.results[0]!.values, [1001, 1002])
        for (const column of response.results) assert.deepEqual(column.statuses, ['PRESENT', 'PRESENT'])
        assert.equal(typeof response.results[3]!.values[0], 'number')

        const exit = await child.stop('SIGTERM')
        assert.equal(exit.status, 0, `quickstart exits cleanly on SIGTERM:\n${exit.stderr}`)
      } finally {
        child.kill()
      }
    })
  })

  it('rejects a bad flag with exit code 2 and one message', async () => {
    const result = await runAsof(['quickstart', '--drivers', 'many', '--dir', join(tmp.dir, 'bad')])
    assert.equal(result.status, 2)
    assert.match(result.stderr, /--drivers: expected a positive whole number/)
  })
})
