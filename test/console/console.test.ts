import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { tempDir } from '../helpers/engines.js'
import { cleanEnv, runAsof } from '../helpers/cli.js'
import { startServe } from '../helpers/serve.js'
import { BROWSER_SKIP_REASON, launchBrowser } from '../helpers/browser.js'

/** Screenshots of every page, for a reviewer (gitignored; cleaned at the start of each run). */
const SHOTS = resolve(import.meta.dirname, '..', '..', 'test-output', 'console')

/**
 * The console in a real Chromium against one real `asof serve` on the quickstart's data, with API
 * keys configured (so the sign-in and the read/write split are exercised by every test), plus a
 * checkpoint that fails.
 */
describe('console', { skip: BROWSER_SKIP_REASON }, () => {
  const tmp = tempDir()
  const repo = join(tmp.dir, 'qs')
  let browser: Browser
  let server: Awaited<ReturnType<typeof startServe>>
  let writeKey: string
  let readKey: string
  const errors: string[] = []

  const call = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${writeKey}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    })
    return { status: response.status, body: await response.json() as Record<string, unknown> }
  }

  /** A page signed in with `key`, failing the test on any console error or uncaught exception. */
  const open = async (key: string, path = '/'): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } })
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`) })
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`))
    await page.goto(`${server.url}${path}`)
    await page.getByLabel('API key').fill(key)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('header.top').waitFor()
    return page
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })

  before(async () => {
    rmSync(SHOTS, { recursive: true, force: true })
    mkdirSync(SHOTS, { recursive: true })
    const qs = await runAsof(['quickstart', '--dir', repo, '--drivers', '20', '--hours', '100', '--no-serve'])
    assert.equal(qs.status, 0, qs.stderr)
    // A checkpoint that fails: the view has 2,000 rows, at most 10 are expected.
    writeFileSync(join(repo, 'suites', 'strict_stats.json'), JSON.stringify({
      name: 'strict_stats',
      expectations: [
        { type: 'expect_table_row_count_to_be_between', kwargs: { min_value: 1, max_value: 10 } },
        { type: 'expect_column_values_to_not_be_null', kwargs: { column: 'driver_id' } },
      ],
    }))
    writeFileSync(join(repo, 'checkpoints', 'strict_stats.json'), JSON.stringify({
      name: 'strict_stats',
      validations: [{ batch: { type: 'feature_view', name: 'driver_hourly_stats' }, suite: { path: 'suites/strict_stats.json' } }],
    }))
    const key = async (scope: string) => {
      const created = await runAsof(['--repo', repo, '--json', 'keys', 'create', '--scope', scope, '--name', `console-${scope}`])
      assert.equal(created.status, 0, created.stderr)
      return (JSON.parse(created.stdout) as { secret: string }).secret
    }
    writeKey = await key('write')
    readKey = await key('read')
    ;[server, browser] = await Promise.all([startServe(repo, cleanEnv()), launchBrowser()])
    for (const name of ['driver_stats', 'driver_stats', 'strict_stats']) {
      const run = await call(`/api/v1/checkpoints/${name}/runs`, { method: 'POST', body: {} })
      assert.equal(run.status, 201, JSON.stringify(run.body))
    }
  })
  after(async () => {
    await browser?.close()
    await server?.stop()
    tmp.remove()
  })

  it('asks for a key, and shows the overview counts and each checkpoint\'s last result', async () => {
    const page = await open(writeKey)
    // Each count loads on its own request (shown as … until then): wait for each to read its value.
    const shows = (label: string, value: string) => page.locator(`[data-count="${label}"] dd`).filter({ hasText: new RegExp(`^${value}$`) }).waitFor()
    await assert.doesNotReject(shows('Checkpoints', '3'))
    await assert.doesNotReject(shows('Feature views', '1'))
    await assert.doesNotReject(shows('Pipelines', '1'))
    await assert.doesNotReject(shows('Models', '1'))
    await page.locator('[data-checkpoint="strict_stats"] .state').waitFor()
    assert.equal(await page.locator('[data-checkpoint="strict_stats"] .state').innerText(), 'failed')
    assert.equal(await page.locator('[data-checkpoint="driver_stats"] .state').innerText(), 'passed')
    await page.getByText('driver_hourly_stats').first().waitFor()
    await shot(page, 'overview')
    await page.close()
  })

  it('draws one point per run on a checkpoint\'s chart', async () => {
    const { body } = await call('/api/v1/results?checkpoint=driver_stats')
    const runs = (body.results as unknown[]).length
    assert.equal(runs, 3) // the quickstart's run and the two above
    const page = await open(writeKey, '/validation/checkpoints/driver_stats')
    const chart = page.locator('.chart').first()
    await chart.locator('canvas').waitFor()
    assert.equal(await chart.getAttribute('data-points'), String(runs))
    assert.equal(await page.locator('table.results tbody tr').count(), runs)
    await shot(page, 'checkpoint')
    await page.close()
  })

  it('names the failing expectation on a failing result\'s page', async () => {
    const { body } = await call('/api/v1/results?checkpoint=strict_stats')
    const [result] = body.results as { id: string }[]
    const page = await open(readKey, `/validation/results/${result!.id}`)
    await page.locator('.failing').waitFor()
    assert.match(await page.locator('.failing').innerText(), /expect_table_row_count_to_be_between/)
    const row = page.locator('tr.failed-row')
    assert.equal(await row.count(), 1)
    assert.match(await row.innerText(), /2000/) // the observed row count
    await shot(page, 'result')
    await page.close()
  })

  it('triggers a pipeline run from the UI, which appears in the grid and finishes, its cells turning green', async () => {
    const before = ((await call('/api/v1/runs?pipeline=training')).body.runs as { id: string }[]).map((r) => r.id)
    const page = await open(writeKey, '/pipelines/training')
    await page.locator('table.grid').waitFor()
    await page.getByRole('button', { name: 'Trigger run' }).click()
    const started = page.getByRole('status').locator('a')
    await started.waitFor()
    const id = await started.innerText()
    assert.ok(!before.includes(id))
    const cell = page.locator(`.cell[data-run="${id}"][data-task="register"]`)
    await cell.waitFor()
    const seen = new Set<string>()
    const deadline = Date.now() + 120_000
    while (Date.now() < deadline) {
      seen.add((await cell.getAttribute('data-state')) ?? '')
      if (seen.has('success')) break
      await page.waitForTimeout(200)
    }
    assert.ok(seen.has('success'), `the register cell reached success (saw ${[...seen].join(', ')})`)
    assert.ok(seen.size > 1, `the cell changed state while the page watched (saw ${[...seen].join(', ')})`)
    assert.equal(await page.locator(`.cell[data-run="${id}"]`).count(), 7)
    await shot(page, 'pipeline')
    await page.goto(`${server.url}/runs/${id}`)
    await page.locator('tr[data-task="register"][data-state="success"]').waitFor()
    await shot(page, 'run')
    await page.close()
  })

  it('draws the lineage of the quickstart\'s model: feature-view version, checkpoint result, run, aliases', async () => {
    // The run triggered above registered a later version, which took the challenger alias.
    const { body } = await call('/api/v1/models/driver_trip_model')
    const version = (body.model as { aliases: Record<string, number> }).aliases.challenger
    const page = await open(readKey, `/lineage/models/driver_trip_model/${version}`)
    await page.locator('svg.graph').waitFor()
    const kinds = await page.locator('svg.graph .node').evaluateAll((nodes) => nodes.map((n) => `${n.getAttribute('data-kind')}:${n.getAttribute('data-node')}`))
    assert.ok(kinds.includes('feature view:fv:driver_hourly_stats@1'), kinds.join(', '))
    assert.ok(kinds.some((k) => k.startsWith('checkpoint result:result:vr_')), kinds.join(', '))
    assert.ok(kinds.some((k) => k.startsWith('pipeline run:')), kinds.join(', '))
    assert.ok(kinds.includes('alias:alias:challenger'), kinds.join(', '))
    await shot(page, 'lineage')
    await page.locator('svg.graph .node[data-kind="feature view"]').click()
    await page.waitForURL(/\/registry\/feature-views\/driver_hourly_stats\?version=1/)
    await page.getByRole('heading', { name: 'Schema' }).waitFor()
    await shot(page, 'feature-view')
    await page.close()
  })

  it('shows a read key every page but no write action', async () => {
    const page = await open(readKey, '/pipelines/training')
    await page.locator('table.grid').waitFor()
    assert.equal(await page.getByRole('button', { name: 'Trigger run' }).count(), 0)
    await page.goto(`${server.url}/models/driver_trip_model`)
    await page.locator('table.metrics').waitFor()
    assert.equal(await page.getByRole('button', { name: 'Promote' }).count(), 0)
    await shot(page, 'model')
    for (const path of ['/registry', '/validation', '/pipelines', '/models', '/validation/suites/driver_stats']) {
      await page.goto(`${server.url}${path}`)
      await page.locator('main h1').waitFor()
      await page.waitForLoadState('networkidle')
    }
    await page.close()
  })

  it('refuses the API without a key, and logged no console error on any page', async () => {
    const response = await fetch(`${server.url}/api/v1/feature-views`)
    assert.equal(response.status, 401)
    assert.deepEqual(errors, [])
  })
})
