import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { openMetadataStore, suitesRepo, resultsRepo, metricsRepo, type MetadataStore } from '../../src/metadata/index.js'
import { ENGINES, type OpenedEngine } from '../helpers/engines.js'

for (const target of ENGINES) {
  describe(`${target.kind}: suites, results and metrics repos`, { skip: target.skip }, () => {
    let opened: OpenedEngine
    let store: MetadataStore
    before(async () => {
      opened = await target.open()
      store = await openMetadataStore(opened.engine)
    })
    after(async () => { await opened?.dispose() })

    it('versions suites, keeps old versions readable and deletes', async () => {
      const v1 = await store.transaction((tx) => suitesRepo.saveSuiteVersion(tx, 's', '{"a":1}', 'h1', '2024-01-01T00:00:00Z'))
      const same = await store.transaction((tx) => suitesRepo.saveSuiteVersion(tx, 's', '{"a":1}', 'h1', '2024-01-02T00:00:00Z'))
      const v2 = await store.transaction((tx) => suitesRepo.saveSuiteVersion(tx, 's', '{"a":2}', 'h2', '2024-01-03T00:00:00Z'))
      assert.deepEqual([v1, same, v2], [{ version: 1, created: true }, { version: 1, created: false }, { version: 2, created: true }])
      assert.equal((await suitesRepo.getSuiteVersion(store.db, 's'))!.suite, '{"a":2}')
      assert.equal((await suitesRepo.getSuiteVersion(store.db, 's', 1))!.suite, '{"a":1}')
      assert.deepEqual((await suitesRepo.listSuites(store.db)).map((s) => [s.name, Number(s.current_version)]), [['s', 2]])
      assert.equal(await suitesRepo.deleteSuite(store.db, 's'), true)
      assert.equal(await suitesRepo.getSuiteVersion(store.db, 's', 1), undefined)
      assert.equal(await suitesRepo.deleteSuite(store.db, 's'), false)
    })

    it('stores results and metric history, newest first, filtered by time', async () => {
      for (const [i, t] of ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z'].entries()) {
        const id = `r${i}`
        await resultsRepo.insertResult(store.db, { id, checkpoint: 'cp', run_id: `run${i}`, suite_name: 's', suite_version: 1, batch: 'table:t', success: i !== 1, result: '{}', run_time: t })
        await metricsRepo.insertMetrics(store.db, [{ result_id: id, checkpoint: 'cp', batch: 'table:t', suite_name: 's', suite_version: 1, metric_name: 'table.row_count', metric_args: '{}', value: 10 * (i + 1), value_json: String(10 * (i + 1)), run_time: t }])
      }
      const results = await resultsRepo.listResults(store.db, { checkpoint: 'cp' })
      assert.deepEqual(results.map((r) => [r.id, r.success]), [['r2', true], ['r1', false], ['r0', true]])
      assert.equal(results[0]!.run_time, '2024-01-03T00:00:00Z')
      const history = await metricsRepo.metricHistory(store.db, { metricName: 'table.row_count', batch: 'table:t', before: '2024-01-03T00:00:00Z' })
      assert.deepEqual(history.map((m) => m.value), [20, 10])
      assert.equal((await metricsRepo.metricsOfResult(store.db, 'r2')).length, 1)
    })
  })
}
