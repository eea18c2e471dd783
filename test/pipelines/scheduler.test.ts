import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger } from '../../src/core/index.js'
import { DuckDbEngine, PostgresEngine, sql } from '../../src/engines/index.js'
import { openMetadataStore, registryRepo, resultsRepo, runsRepo, type MetadataStore } from '../../src/metadata/index.js'
import { backfillDates, BUILTIN_TASKS, ModelRegistry, PipelineRunner, Scheduler, TaskRegistry, type PipelineSpec, type SchedulerOptions } from '../../src/pipelines/index.js'
import { resolveStandardBatch } from '../../src/expectations/index.js'
import { fixtureVersion } from './models-fixtures.js'
import { ENGINES, PG_SKIP_REASON, PG_URL, openTestPostgres, type OpenedEngine } from '../helpers/engines.js'
import { openRunnerFixture, pipeline, type RunnerFixture } from './helpers.js'

const hourly = (name: string, catchup: boolean) => pipeline({
  name, schedule: '0 * * * *', catchup, start_date: '2026-01-01T00:00:00Z', tasks: [{ id: 'a', uses: 'noop' }],
})

function schedulerFor(metadata: MetadataStore, home: string, pipelines: PipelineSpec[], clock: { now: Date }, repoDir = home, extra: Partial<SchedulerOptions> = {}): Scheduler {
  const log = createLogger('silent')
  const runner = new PipelineRunner({ metadata, home, log, tasks: new TaskRegistry(BUILTIN_TASKS), now: () => clock.now })
  return new Scheduler({ metadata, runner, pipelines: () => pipelines, repoDir, log, now: () => clock.now, ...extra })
}

const dates = (runs: { logical_date: string }[]) => runs.map((r) => r.logical_date).sort()

describe('backfill dates', () => {
  it('are the schedule ticks from --from to --to, both inclusive', () => {
    const p = pipeline({ name: 'daily', schedule: '30 2 * * *', tasks: [{ id: 'a', uses: 'noop' }] })
    assert.deepEqual(backfillDates(p, '2026-01-01', '2026-01-04T02:30:00Z').map((d) => d.toISOString()),
      ['2026-01-01T02:30:00.000Z', '2026-01-02T02:30:00.000Z', '2026-01-03T02:30:00.000Z', '2026-01-04T02:30:00.000Z'])
    assert.deepEqual(backfillDates(p, '2026-01-01T03:00:00Z', '2026-01-02T02:29:59Z'), [])
    assert.throws(() => backfillDates(pipeline({ name: 'manual', tasks: [{ id: 'a', uses: 'noop' }] }), '2026-01-01', '2026-01-02'), /needs a schedule/)
    assert.throws(() => backfillDates(p, '2026-01-02', '2026-01-01'), /--to: .* is before --from/)
  })

  it('takes a bare --to date as the whole day, as Airflow\'s --end-date', () => {
    const daily = pipeline({ name: 'daily', schedule: '30 2 * * *', tasks: [{ id: 'a', uses: 'noop' }] })
    assert.deepEqual(backfillDates(daily, '2026-12-02', '2026-12-04').map((d) => d.toISOString()),
      ['2026-12-02T02:30:00.000Z', '2026-12-03T02:30:00.000Z', '2026-12-04T02:30:00.000Z'])
    const hours = backfillDates(hourly('h', false), '2026-12-04', '2026-12-04').map((d) => d.toISOString())
    assert.equal(hours.length, 24)
    assert.equal(hours.at(-1), '2026-12-04T23:00:00.000Z')
    // a timestamp is an instant: up to and including it, not the rest of its day
    assert.deepEqual(backfillDates(daily, '2026-12-02', '2026-12-04T00:00:00Z').map((d) => d.toISOString()),
      ['2026-12-02T02:30:00.000Z', '2026-12-03T02:30:00.000Z'])
  })
})

for (const engine of ENGINES) {
  describe(`${engine.kind}: scheduler`, { skip: engine.skip }, () => {
    let f: RunnerFixture
    before(async () => { f = await openRunnerFixture(engine) })
    after(async () => { await f?.dispose() })

    it('with catchup fires every ended interval since start_date, then only new ones, across restarts', async () => {
      const clock = { now: new Date('2026-01-01T05:30:00Z') }
      const p = hourly('catchup_on', true)
      const first = await schedulerFor(f.metadata, f.home, [p], clock).tick()
      assert.deepEqual(dates(first.claimed), ['2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z', '2026-01-01T02:00:00Z', '2026-01-01T03:00:00Z', '2026-01-01T04:00:00Z'])
      assert.equal(first.claimed[0]!.data_interval_end, '2026-01-01T01:00:00Z')
      assert.deepEqual((await schedulerFor(f.metadata, f.home, [p], clock).tick()).claimed, [], 'same instant: nothing new')
      clock.now = new Date('2026-01-01T07:10:00Z')
      // a new scheduler (a restart) resumes from the recorded last tick
      const later = await schedulerFor(f.metadata, f.home, [p], clock).tick()
      assert.deepEqual(dates(later.claimed), ['2026-01-01T05:00:00Z', '2026-01-01T06:00:00Z'])
      assert.equal((await runsRepo.listRuns(f.metadata.db, { pipeline: 'catchup_on' })).length, 7)
    })

    it('without catchup fires only the newest ended interval', async () => {
      const clock = { now: new Date('2026-01-01T05:30:00Z') }
      const p = hourly('catchup_off', false)
      assert.deepEqual(dates((await schedulerFor(f.metadata, f.home, [p], clock).tick()).claimed), ['2026-01-01T04:00:00Z'])
      clock.now = new Date('2026-01-01T08:00:00Z')
      assert.deepEqual(dates((await schedulerFor(f.metadata, f.home, [p], clock).tick()).claimed), ['2026-01-01T07:00:00Z'])
    })

    it('runs claimed ticks to completion', async () => {
      const clock = { now: new Date('2026-01-01T02:30:00Z') }
      const scheduler = schedulerFor(f.metadata, f.home, [hourly('executed', false)], clock)
      const { claimed } = await scheduler.tickAndRun()
      await scheduler.stop()
      assert.equal(claimed.length, 1)
      assert.equal((await runsRepo.getRun(f.metadata.db, claimed[0]!.id))!.state, 'success')
    })

    it('after a restart, adopts and finishes runs that were claimed but never started', async () => {
      const clock = { now: new Date('2026-01-01T03:30:00Z') }
      const p = hourly('orphaned', false)
      const { claimed } = await schedulerFor(f.metadata, f.home, [p], clock).tick() // claimed, then "the process died"
      assert.equal(claimed[0]!.state, 'queued')
      const restarted = schedulerFor(f.metadata, f.home, [p], clock)
      // earlier tests in this file left their claimed runs queued too
      assert.ok((await restarted.adoptQueuedRuns()).some((r) => r.id === claimed[0]!.id))
      await restarted.stop()
      assert.equal((await runsRepo.getRun(f.metadata.db, claimed[0]!.id))!.state, 'success')
      assert.deepEqual(await schedulerFor(f.metadata, f.home, [p], clock).adoptQueuedRuns(), [])
    })

    it('starts runs from sensors: a changed file, a new feature-view version, a checkpoint turning green, with AND/OR', async () => {
      const clock = { now: new Date('2026-02-01T00:00:00Z') }
      const data = join(f.home, 'landing.csv')
      const fileOnly = pipeline({ name: 'on_file', sensors: { file: { path: data } }, tasks: [{ id: 'a', uses: 'noop' }] })
      const both = pipeline({ name: 'on_both', sensors: { all: [{ file: { path: data } }, { feature_view: { name: 'driver_stats' } }] }, tasks: [{ id: 'a', uses: 'noop' }] })
      const green = pipeline({ name: 'on_green', sensors: { any: [{ checkpoint: { name: 'daily' } }] }, tasks: [{ id: 'a', uses: 'noop' }] })
      const scheduler = schedulerFor(f.metadata, f.home, [fileOnly, both, green], clock)
      const tick = async () => {
        clock.now = new Date(clock.now.getTime() + 60_000)
        return (await scheduler.tick()).claimed.map((r) => r.pipeline).sort()
      }
      assert.deepEqual(await tick(), [], 'nothing to see yet')
      writeFileSync(data, 'id\n1\n')
      assert.deepEqual(await tick(), ['on_file'], 'a new file; on_both still waits for the feature view')
      assert.deepEqual(await tick(), [], 'fires once per change')
      utimesSync(data, new Date(), new Date(Date.now() + 5000))
      assert.deepEqual(await tick(), [], 'a touch is not a change of content')
      await registryRepo.insertVersion(f.metadata.db, 'demo', 'feature_view', 'driver_stats', { v: 1 }, 'h1', clock.now.toISOString())
      assert.deepEqual(await tick(), ['on_both'], 'AND: the file changed and the view has a new version since on_both last ran')
      writeFileSync(data, 'id\n1\n2\n')
      assert.deepEqual(await tick(), ['on_file'], 'AND waits for a new view version too')
      await registryRepo.insertVersion(f.metadata.db, 'demo', 'feature_view', 'driver_stats', { v: 2 }, 'h2', clock.now.toISOString())
      assert.deepEqual(await tick(), ['on_both'])

      const result = (success: boolean, minute: number) => resultsRepo.insertResult(f.metadata.db, {
        id: `r${minute}`, checkpoint: 'daily', run_id: `v${minute}`, suite_name: 's', suite_version: 1, batch: 'b', success, result: '{}',
        run_time: new Date(Date.UTC(2026, 1, 1, 0, minute)).toISOString(),
      })
      await result(false, 1)
      assert.deepEqual(await tick(), [], 'red')
      await result(true, 2)
      assert.deepEqual(await tick(), ['on_green'], 'turned green')
      await result(true, 3)
      assert.deepEqual(await tick(), [], 'still green is not turning green')
      await result(false, 4)
      await result(true, 5)
      assert.deepEqual(await tick(), ['on_green'], 'green again after red')
    })

    it('starts a run when the current batch drifts from the champion\'s training dataset, once per drifted batch', async () => {
      const duckdb = await DuckDbEngine.open({ path: ':memory:' })
      try {
        // conv_rate takes 100 evenly spaced values; a shift moves all of them
        const dataset = async (name: string, shift: number) => {
          const path = join(f.home, name)
          await duckdb.execute(sql`copy (select i as driver_id, (i % 100) / 100.0 + cast(${shift} as double) as conv_rate from range(500) t(i)) to ${path} (format parquet)`)
          return path
        }
        const recent = join(f.home, 'recent.csv')
        const writeRecent = (shift: number) => writeFileSync(recent, `driver_id,conv_rate\n${Array.from({ length: 400 }, (_, i) => `${i},${(i % 100) / 100 + shift}`).join('\n')}\n`)
        const trainedOn = await dataset('trained_on.parquet', 0)
        const models = new ModelRegistry(f.metadata, { log: createLogger('silent') })
        const v1 = fixtureVersion('drift_model', 'drift-run-1', 0.9)
        await models.register({ ...v1, lineage: { ...v1.lineage, dataset: { uri: trainedOn, sha256: 'x', rows: 500 } } })

        const landing = join(f.home, 'drift_landing.csv')
        const onDrift = pipeline({ name: 'on_drift', sensors: { drift: { reference: { type: 'model', name: 'drift_model' }, current: { type: 'file', path: recent } } }, tasks: [{ id: 'a', uses: 'noop' }] })
        const onDriftAndFile = pipeline({
          name: 'on_drift_and_file',
          sensors: { all: [{ drift: { reference: { type: 'dataset', path: trainedOn }, current: { type: 'file', path: recent }, columns: ['conv_rate'], test: 'psi', threshold: 0.2 } }, { file: { path: landing } }] },
          tasks: [{ id: 'a', uses: 'noop' }],
        })
        const clock = { now: new Date('2026-02-02T00:00:00Z') }
        const resolveBatch = async (spec: Parameters<typeof resolveStandardBatch>[0]) => resolveStandardBatch(spec, { duckdb }, f.home)
        const scheduler = schedulerFor(f.metadata, f.home, [onDrift, onDriftAndFile], clock, f.home, { models, resolveBatch: resolveBatch as SchedulerOptions['resolveBatch'] })
        const tick = async () => {
          clock.now = new Date(clock.now.getTime() + 60_000)
          return (await scheduler.tick()).claimed.map((r) => r.pipeline).sort()
        }

        writeRecent(0.5)
        assert.deepEqual(await tick(), [], 'no version holds the champion alias yet: nothing to compare with')
        await models.setAlias('drift_model', 'champion', 1)
        writeRecent(0)
        assert.deepEqual(await tick(), [], 'recent data distributed like the training data: no drift')
        writeRecent(0.5)
        assert.deepEqual(await tick(), ['on_drift'], 'shifted: one run; the AND waits for its file')
        assert.deepEqual(await tick(), [], 'the same drifted batch does not start a second run')
        assert.deepEqual(await tick(), [])
        writeFileSync(landing, 'x\n1\n')
        assert.deepEqual(await tick(), ['on_drift_and_file'], 'AND: drifted (psi) and the file arrived')
        writeRecent(0.6)
        assert.deepEqual(await tick(), ['on_drift'], 'new data that still drifts is a new episode')

        // a retrained model on recent data becomes champion: the sensor now compares with its dataset
        const v2 = fixtureVersion('drift_model', 'drift-run-2', 0.9)
        await models.register({ ...v2, lineage: { ...v2.lineage, dataset: { uri: await dataset('retrained_on.parquet', 0.6), sha256: 'y', rows: 500 } } })
        await models.setAlias('drift_model', 'champion', 2)
        assert.deepEqual(await tick(), [], 'no drift from the new champion\'s training data')
        const runs = await runsRepo.listRuns(f.metadata.db, { pipeline: 'on_drift' })
        assert.equal(runs.length, 2)
        assert.ok(runs.every((r) => r.trigger === 'sensor'))
      } finally {
        await duckdb.close()
      }
    })
  })
}

describe('postgres: two schedulers on one database', { skip: PG_SKIP_REASON }, () => {
  let opened: OpenedEngine
  let other: PostgresEngine
  let a: MetadataStore
  let b: MetadataStore
  before(async () => {
    opened = await openTestPostgres()
    a = await openMetadataStore(opened.engine)
    other = await PostgresEngine.open(PG_URL!, { schema: opened.schema })
    b = await openMetadataStore(other)
  })
  after(async () => {
    await other?.close()
    await opened?.dispose()
  })

  it('fire each tick exactly once', async () => {
    const clock = { now: new Date('2026-01-03T00:30:00Z') }
    const p = hourly('replicated', true)
    const replicas = [schedulerFor(a, '/tmp', [p], clock), schedulerFor(b, '/tmp', [p], clock), schedulerFor(a, '/tmp', [p], clock), schedulerFor(b, '/tmp', [p], clock)]
    const claimed: string[] = []
    for (let step = 0; step < 3; step++) {
      const results = await Promise.all(replicas.map((s) => s.tick()))
      for (const r of results) claimed.push(...r.claimed.map((x) => x.logical_date))
      clock.now = new Date(clock.now.getTime() + 3 * 3600_000)
    }
    // 48 hours from start_date to the first tick, then 3 more hours each of two later ticks
    assert.equal(claimed.length, 54)
    assert.equal(new Set(claimed).size, 54, 'no logical date claimed by two replicas')
    const runs = await runsRepo.listRuns(a.db, { pipeline: 'replicated' })
    assert.deepEqual(runs.map((r) => r.logical_date).sort(), [...claimed].sort())
  })

  it('let workers on two connections claim each task instance once (for update skip locked)', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({
      run_id: 'race', task_id: `t${i}`, map_index: -1, state: 'pending' as const, attempt: 0,
      cache_key: null, cached_from: null, output: null, error: null, claimed_by: null, started_at: null, ended_at: null,
    }))
    await runsRepo.insertTaskRuns(a.db, rows)
    const winners = await Promise.all(rows.flatMap((r) => [a, b, a, b].map(async (store, i) =>
      (await runsRepo.claimTask(store.db, { run_id: 'race', task_id: r.task_id, map_index: -1 }, `w${i}`, '2026-01-01T00:00:00Z', { skipLocked: true })) ? r.task_id : undefined)))
    const claimed = winners.filter((w) => w !== undefined)
    assert.equal(claimed.length, 100)
    assert.equal(new Set(claimed).size, 100)
    const stored = await runsRepo.listTaskRuns(a.db, 'race')
    assert.ok(stored.every((r) => r.state === 'running' && r.attempt === 1))
  })

  it('fire a sensor change exactly once', async () => {
    const clock = { now: new Date('2026-01-05T00:00:00Z') }
    const p = pipeline({ name: 'sensed', sensors: { feature_view: { name: 'trips' } }, tasks: [{ id: 'a', uses: 'noop' }] })
    await registryRepo.insertVersion(a.db, 'demo', 'feature_view', 'trips', {}, 'h', clock.now.toISOString())
    const replicas = [schedulerFor(a, '/tmp', [p], clock), schedulerFor(b, '/tmp', [p], clock)]
    const results = await Promise.all(replicas.map((s) => s.tick()))
    assert.equal(results.flatMap((r) => r.claimed).length, 1)
  })
})
