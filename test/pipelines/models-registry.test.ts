import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { createHmac } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { ENGINES, type OpenedEngine } from '../helpers/engines.js'
import { createLogger } from '../../src/core/index.js'
import { openMetadataStore } from '../../src/metadata/index.js'
import { ModelRegistry, parseModelRef } from '../../src/pipelines/index.js'
import { fixtureVersion } from './models-fixtures.js'

interface Delivery { headers: Record<string, string | string[] | undefined>; body: string }

const version = fixtureVersion

for (const e of ENGINES) {
  describe(`${e.kind}: model registry`, { skip: e.skip }, () => {
    let opened: OpenedEngine
    let registry: ModelRegistry
    let server: Server
    let url: string
    const deliveries: Delivery[] = []
    let clock = Date.parse('2026-01-01T00:00:00Z')

    before(async () => {
      opened = await e.open()
      registry = new ModelRegistry(await openMetadataStore(opened.engine), { log: createLogger('silent'), now: () => new Date(clock) })
      server = createServer((req, res) => {
        let body = ''
        req.on('data', (c) => { body += c })
        req.on('end', () => { deliveries.push({ headers: req.headers, body }); res.end('ok') })
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
    })
    after(async () => {
      server.close()
      await opened.dispose()
    })

    it('numbers versions per model and registers a run only once', async () => {
      await registry.addWebhook({ url, events: ['model_version.created', 'registered_model.created'], secret: 's3cret' })
      const a = await registry.register(version('eta', 'run-1', 0.5))
      clock += 60_000
      const b = await registry.register(version('eta', 'run-2', 0.6))
      const again = await registry.register(version('eta', 'run-1', 0.9))
      assert.deepEqual([a.version.version, b.version.version, again.version.version], [1, 2, 1])
      assert.equal(again.created, false)
      assert.equal(again.version.metrics.overall.r2, 0.5)
      assert.deepEqual((await registry.search({ name: 'eta' })).map((v) => v.version), [2, 1])
      const events = deliveries.map((d) => JSON.parse(d.body).event)
      assert.deepEqual(events, ['registered_model.created', 'model_version.created', 'model_version.created'])
      const d = deliveries[1]!
      const expected = createHmac('sha256', 's3cret').update(`${d.headers['x-asof-delivery-id']}.${d.headers['x-asof-timestamp']}.${d.body}`).digest('base64')
      assert.equal(d.headers['x-asof-signature'], `v1,${expected}`)
      assert.deepEqual(JSON.parse(d.body).data, { name: 'eta', version: '1', source: '/tmp/run-1/model.bin', run_id: 'run-1', tags: {}, description: null })
    })

    it('moves aliases, resolves refs and notifies alias webhooks', async () => {
      deliveries.length = 0
      await registry.addWebhook({ url, events: ['model_version_alias.created'], model_name: 'eta' })
      await registry.setAlias('eta', 'champion', 1)
      await registry.setAlias('eta', 'champion', 2)
      assert.equal((await registry.resolve('eta#champion')).version, 2)
      assert.equal((await registry.resolve('eta@1')).version, 1)
      assert.equal((await registry.resolve('eta')).version, 2)
      assert.deepEqual((await registry.getVersion('eta', 2)).aliases, ['champion'])
      assert.deepEqual((await registry.getVersion('eta', 1)).aliases, [])
      assert.deepEqual(deliveries.map((d) => JSON.parse(d.body).data), [
        { name: 'eta', alias: 'champion', version: '1' }, { name: 'eta', alias: 'champion', version: '2' },
      ])
      await assert.rejects(registry.resolve('eta#nope'), /unknown alias of model eta "nope"; known: champion/)
      await assert.rejects(registry.setAlias('eta', 'champion', 9), /unknown version of model eta "9"; known: 2, 1/)
    })

    it('searches by alias, tag and time', async () => {
      clock += 60_000
      await registry.register({ ...version('fraud', 'run-3', 0.7), tags: { team: 'risk' } })
      await registry.setTag('eta', 1, 'team', 'risk')
      await registry.setTag('eta', 2, 'team', 'maps')
      const byTag = await registry.search({ tags: { team: 'risk' } })
      assert.deepEqual(byTag.map((v) => `${v.name}@${v.version}`), ['fraud@1', 'eta@1'])
      assert.deepEqual((await registry.search({ alias: 'champion' })).map((v) => `${v.name}@${v.version}`), ['eta@2'])
      assert.deepEqual((await registry.search({ since: '2026-01-01T00:01:00Z' })).map((v) => `${v.name}@${v.version}`), ['fraud@1', 'eta@2'])
      assert.deepEqual((await registry.search({ tags: { team: 'risk' }, until: '2026-01-01T00:01:00Z' })).map((v) => `${v.name}@${v.version}`), ['eta@1'])
    })

    it('keeps lineage and training metadata per version', async () => {
      const v = await registry.resolve('eta@2')
      assert.deepEqual(v.lineage.feature_views, [{ name: 'driver_stats', version: 2 }])
      assert.equal(v.lineage.pipeline_run, 'run-2')
      assert.equal(v.training.backend, 'wasm')
      assert.deepEqual(v.signature.inputs, [{ name: 'conv_rate', type: 'double' }])
    })

    it('rejects bad refs, names and webhooks with messages naming the field', async () => {
      assert.throws(() => parseModelRef('eta@x'), /expected NAME, NAME@VERSION or NAME#ALIAS/)
      await assert.rejects(registry.addWebhook({ url: 'ftp://x', events: ['model_version.created'] }), /webhook: url/)
      await assert.rejects(registry.addWebhook({ url, events: ['nope' as never] }), /webhook: events\[0\]/)
      await assert.rejects(registry.register(version('bad name', undefined, 1)), /model name/)
      await assert.rejects(registry.getModel('nope'), /unknown model "nope"; known: eta, fraud/)
    })
  })
}
