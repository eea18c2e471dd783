import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from '../../src/engines/index.js'
import { metricsRepo, openMetadataStore, type MetadataStore } from '../../src/metadata/index.js'
import { createCheckpointService, createSuiteGate, type CheckpointService } from '../../src/expectations/checkpoint.js'
import { createSuiteStore, type SuiteStore } from '../../src/expectations/suite-store.js'
import { resolveStandardBatch } from '../../src/expectations/batch-spec.js'
import { ENGINES, tempDir, type OpenedEngine } from '../helpers/engines.js'

const COLUMNS = [{ name: 'id', type: 'int64' as const }, { name: 'fare', type: 'float64' as const }]

function listen(handler: (req: IncomingMessage, body: string) => { status: number } | 'hang'): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      const answer = handler(req, body)
      if (answer !== 'hang') res.writeHead(answer.status).end()
    })
  })
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook` })))
}

for (const target of ENGINES) {
  describe(`${target.kind}: checkpoints, stored results and metric history`, { skip: target.skip }, () => {
    let opened: OpenedEngine
    let store: MetadataStore
    let suites: SuiteStore
    let checkpoints: CheckpointService
    let repo: ReturnType<typeof tempDir>
    const rows = async (n: number) => {
      await opened.engine.execute(sql`delete from ${sql.id('trips')}`)
      await opened.engine.insertRows('trips', COLUMNS, Array.from({ length: n }, (_, i) => [i, 10 + (i % 5)]))
    }

    before(async () => {
      opened = await target.open()
      store = await openMetadataStore(opened.engine)
      repo = tempDir()
      mkdirSync(join(repo.dir, 'checkpoints'))
      mkdirSync(join(repo.dir, 'expectations'))
      await opened.engine.createTable('trips', COLUMNS)
      suites = createSuiteStore(store)
      const engines = target.kind === 'postgres' ? { duckdb: opened.engine, postgres: opened.engine } : { duckdb: opened.engine }
      checkpoints = createCheckpointService({
        store, suites, repoDir: repo.dir, docsDir: join(repo.dir, 'docs'),
        resolveBatch: async (spec) => {
          if (spec.type === 'feature_view' || spec.type === 'source') throw new Error('no feature views or sources in this test')
          return resolveStandardBatch(spec, engines, repo.dir)
        },
      })
    })
    after(async () => { await opened?.dispose(); repo?.remove() })

    it('runs a checkpoint file, stores results and every metric with batch, suite version and time', async () => {
      await rows(20)
      writeFileSync(join(repo.dir, 'expectations', 'trips.json'), JSON.stringify({
        expectation_suite_name: 'trips',
        expectations: [
          { expectation_type: 'expect_table_row_count_to_be_between', kwargs: { min_value: 10 } },
          { expectation_type: 'expect_column_mean_to_be_between', kwargs: { column: 'fare', min_value: 0, max_value: 100 } },
        ],
      }))
      writeFileSync(join(repo.dir, 'checkpoints', 'nightly.json'), JSON.stringify({
        name: 'nightly', validations: [{ batch: { type: 'table', name: 'trips' }, suite: { path: 'expectations/trips.json' } }],
      }))
      assert.deepEqual((await checkpoints.list()).map((c) => c.name), ['nightly'])
      const first = await checkpoints.runCheckpoint('nightly')
      assert.equal(first.success, true)
      assert.equal(first.validations[0]!.suite_version, 1)
      assert.equal(first.result_ids.length, 1)
      const stored = await checkpoints.result(first.result_ids[0]!)
      assert.deepEqual([stored.checkpoint, stored.suite_name, stored.suite_version, stored.batch, stored.success], ['nightly', 'trips', 1, `table:${target.kind}:trips`, true])
      assert.equal(stored.result.results.length, 2)
      const metrics = await metricsRepo.metricsOfResult(store.db, first.result_ids[0]!)
      assert.deepEqual(metrics.map((m) => [m.metric_name, m.value]).sort(), [['column.mean', 12], ['table.row_count', 20]])
      assert.equal(metrics[0]!.run_time, first.run_time)

      await rows(5)
      const second = await checkpoints.runCheckpoint('nightly')
      assert.equal(second.success, false)
      const latest = await checkpoints.latestCheckpointResult('nightly')
      assert.deepEqual(latest, { checkpoint: 'nightly', run_id: second.run_id, run_time: second.run_time, success: false, result_ids: second.result_ids })
      assert.deepEqual((await checkpoints.results({ checkpoint: 'nightly' })).map((r) => r.success), [false, true])
      assert.equal(await checkpoints.latestCheckpointResult('nope'), undefined)
    })

    it('uses a metric of an earlier run of the same checkpoint as an evaluation parameter', async () => {
      await suites.save({
        name: 'growing',
        expectations: [{ type: 'expect_table_row_count_to_be_between', kwargs: { min_value: { $PARAMETER: 'previous_run:table.row_count' } } }],
      })
      const config = { name: 'growth', validations: [{ batch: { type: 'table' as const, name: 'trips' }, suite: 'growing' }] }
      await rows(8)
      const first = await checkpoints.runCheckpoint(config)
      assert.equal(first.success, false)
      assert.match(first.validations[0]!.result.results[0]!.exception_info.exception_message!, /no earlier run that recorded table.row_count/)
      const seeded = await checkpoints.runCheckpoint({ ...config, validations: [{ ...config.validations[0]!, parameters: {} }] })
      assert.equal(seeded.success, false) // still no metric recorded: the failed expectation computed none
      await suites.save({ name: 'growing', expectations: [
        { type: 'expect_table_row_count_to_be_between', kwargs: { min_value: 0 } },
      ] })
      assert.equal((await checkpoints.runCheckpoint(config)).success, true) // records row_count = 8
      await suites.save({ name: 'growing', expectations: [
        { type: 'expect_table_row_count_to_be_between', kwargs: { min_value: { $PARAMETER: 'previous_run:table.row_count' } } },
      ] })
      await rows(9)
      const grew = await checkpoints.runCheckpoint(config)
      assert.equal(grew.success, true, JSON.stringify(grew.validations[0]!.result.results[0]))
      assert.equal(grew.validations[0]!.suite_version, 3)
      await rows(4)
      assert.equal((await checkpoints.runCheckpoint(config)).success, false)
    })

    it('feeds interval checks and anomaly rules from the stored metric history', async () => {
      await rows(10)
      const batch = `table:${target.kind}:trips`
      const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString()
      await metricsRepo.insertMetrics(store.db, [
        { result_id: 'seed1', checkpoint: 'other', batch, suite_name: 'x', suite_version: 1, metric_name: 'query.aggregate', metric_args: '{"expression":"count(*)"}', value: 5, value_json: '5', run_time: daysAgo(8) },
        { result_id: 'seed2', checkpoint: 'other', batch, suite_name: 'x', suite_version: 1, metric_name: 'query.aggregate', metric_args: '{"expression":"count(*)"}', value: 9.5, value_json: '9.5', run_time: daysAgo(1) },
      ])
      await suites.save({ name: 'history', expectations: [
        { type: 'expect_table_metrics_to_pass_interval_check', kwargs: { metrics_thresholds: { 'count(*)': 1.5 }, days_back: 7 } },
        { type: 'expect_table_metric_to_not_be_anomalous', kwargs: { metric: 'count(*)', rule: { type: 'relative_change', max_change: 0.1 } } },
      ] })
      const run = await checkpoints.runCheckpoint({ name: 'hist', validations: [{ batch: { type: 'table', name: 'trips' }, suite: 'history' }] })
      const [interval, anomaly] = run.validations[0]!.result.results
      // 10 vs 5 (8 days ago): max/min = 2 ≥ 1.5 fails; 10 vs 9.5 (previous run): +5.3% passes
      assert.deepEqual([interval!.success, anomaly!.success], [false, true])
      assert.equal((interval!.result.observed_value as Record<string, number>)['count(*)'], 2)
      // this run's values are history now
      const recorded = await metricsRepo.metricHistory(store.db, { metricName: 'query.aggregate', batch, checkpoint: 'hist' })
      assert.deepEqual(recorded.map((m) => m.value), [10])
    })

    it('posts the run to a webhook, and survives one that does not answer', async () => {
      const received: { body: Record<string, unknown>; type?: string }[] = []
      const ok = await listen((req, body) => { received.push({ body: JSON.parse(body), type: req.headers['content-type'] }); return { status: 204 } })
      const hang = await listen(() => 'hang')
      try {
        await suites.save({ name: 'small', expectations: [{ type: 'expect_table_row_count_to_be_between', kwargs: { max_value: 1000 } }] })
        const run = await checkpoints.runCheckpoint({
          name: 'hooked', validations: [{ batch: { type: 'table', name: 'trips' }, suite: 'small' }],
          actions: [{ type: 'store_result' }, { type: 'webhook', url: ok.url }, { type: 'webhook', url: hang.url, timeout_ms: 200 }, { type: 'webhook', url: ok.url, notify_on: 'failure' }],
        })
        assert.equal(run.success, true)
        assert.equal(received.length, 1)
        assert.equal(received[0]!.type, 'application/json')
        assert.deepEqual([received[0]!.body.checkpoint, received[0]!.body.success, received[0]!.body.result_ids], ['hooked', true, run.result_ids])
        assert.deepEqual(run.actions.map((a) => [a.type, a.ok]), [['store_result', true], ['webhook', true], ['webhook', false], ['webhook', true]])
        assert.match(run.actions[2]!.detail!, /no answer within 200 ms/)
      } finally {
        hang.server.closeAllConnections(); hang.server.close(); ok.server.close()
      }
    })

    it('renders data docs as an action, and rejects bad checkpoints with one message', async () => {
      await checkpoints.runCheckpoint({ name: 'docs', validations: [{ batch: { type: 'table', name: 'trips' }, suite: 'small' }], actions: [{ type: 'store_result' }, { type: 'render_data_docs' }] })
      assert.ok(existsSync(join(repo.dir, 'docs', 'index.html')))
      assert.match(readFileSync(join(repo.dir, 'docs', 'index.html'), 'utf8'), /checkpoint docs/)
      await assert.rejects(checkpoints.runCheckpoint({ name: 'x', validations: [] }), (e: { kind?: string; message: string }) => e.kind === 'bad_input' && /validations/.test(e.message))
      await assert.rejects(checkpoints.runCheckpoint('missing'), (e: { kind?: string; message: string }) => e.kind === 'not_found' && /known: nightly/.test(e.message))
      await assert.rejects(checkpoints.runCheckpoint({ name: 'x', validations: [{ batch: { type: 'table', name: 'trips' }, suite: 'nope' }] }), (e: { kind?: string }) => e.kind === 'not_found')
      await assert.rejects(checkpoints.runCheckpoint({ name: 'x', validations: [{ batch: { type: 'table', name: 'trips' }, suite: 'small' }], actions: [{ type: 'webhook', url: 'ftp://x' }] } as never), (e: { kind?: string }) => e.kind === 'bad_input')
    })

    it('gates materialization with the suite attached to a feature view', async () => {
      await rows(3)
      await suites.save({ name: 'view_suite', expectations: [{ type: 'expect_column_values_to_be_between', kwargs: { column: 'fare', max_value: 11 } }] })
      const gate = createSuiteGate(checkpoints, async (view) => (view === 'driver' ? 'view_suite' : undefined))
      const batch = { view: 'driver', version: 2, engine: opened.engine, relation: { kind: 'table' as const, name: 'trips' } }
      assert.deepEqual(await gate({ ...batch, view: 'unattached' }), { success: true })
      const refused = await gate(batch) // fares 10, 11, 12: 12 > 11
      assert.equal(refused.success, false)
      assert.match(refused.message!, /suite view_suite failed on driver@2: expect_column_values_to_be_between/)
      const stored = await checkpoints.result(refused.resultId!)
      assert.deepEqual([stored.checkpoint, stored.batch], ['materialize.driver', 'feature_view:driver@2'])
      await rows(2)
      assert.equal((await gate(batch)).success, true)
    })
  })
}
