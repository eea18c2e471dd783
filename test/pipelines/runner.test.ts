import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { hashFile } from '../../src/core/index.js'
import { runsRepo } from '../../src/metadata/index.js'
import { abortableSleep, isArtifactRef, type TaskDefinition } from '../../src/pipelines/index.js'
import { ENGINES } from '../helpers/engines.js'
import { openRunnerFixture, pipeline, type RunnerFixture } from './helpers.js'

for (const engine of ENGINES) {
  describe(`${engine.kind}: pipeline runner`, { skip: engine.skip }, () => {
    let f: RunnerFixture
    before(async () => { f = await openRunnerFixture(engine) })
    after(async () => { await f?.dispose() })

    const stateOf = (tasks: { task_id: string; map_index: number; state: string }[]) =>
      Object.fromEntries(tasks.filter((t) => t.map_index === -1).map((t) => [t.task_id, t.state]))

    it('runs tasks after their dependencies', async () => {
      const log = join(f.home, 'order.log')
      const step = (id: string, deps: string[] = []) => ({ id, uses: 'append_line', params: { path: log, line: id }, depends_on: deps, cache: false })
      const p = pipeline({ name: 'order', tasks: [step('d', ['b', 'c']), step('b', ['a']), step('c', ['a']), step('a')] })
      const { run } = await f.runner().run(p)
      assert.equal(run.state, 'success')
      const lines = readFileSync(log, 'utf8').trim().split('\n')
      assert.equal(lines.length, 4)
      assert.equal(lines[0], 'a')
      assert.equal(lines[3], 'd')
      assert.deepEqual(new Set(lines.slice(1, 3)), new Set(['b', 'c']))
    })

    it('retries with exponential backoff and counts attempts', async () => {
      f.sleeps.length = 0
      const p = pipeline({ name: 'retry', tasks: [{ id: 'flaky', uses: 'fail', params: { until_attempt: 4 }, retries: 5, retry_delay: 2, max_retry_delay: 5 }] })
      const { run, tasks } = await f.runner().run(p)
      assert.equal(run.state, 'success')
      assert.equal(tasks[0]!.attempt, 4)
      assert.deepEqual(f.sleeps, [2000, 4000, 5000])
    })

    it('fails a task when retries run out and records why on the run', async () => {
      const p = pipeline({ name: 'exhausted', tasks: [{ id: 'broken', uses: 'fail', params: { message: 'disk on fire' }, retries: 1 }] })
      const { run, tasks } = await f.runner().run(p)
      assert.equal(run.state, 'failed')
      assert.equal(tasks[0]!.attempt, 2)
      assert.match(run.note ?? '', /broken failed: .*disk on fire/)
    })

    it('aborts a task at its timeout', async () => {
      const started = Date.now()
      const p = pipeline({ name: 'slow', tasks: [{ id: 'nap', uses: 'sleep', params: { ms: 20000 }, timeout: 0.2 }] })
      const { run, tasks } = await f.runner().run(p)
      assert.equal(run.state, 'failed')
      assert.match(tasks[0]!.error ?? '', /timed out after 0.2s/)
      assert.ok(Date.now() - started < 10000)
    })

    it('applies trigger rules all_success, all_done and one_failed', async () => {
      const p = pipeline({
        name: 'rules',
        tasks: [
          { id: 'ok', uses: 'noop' },
          { id: 'bad', uses: 'fail' },
          { id: 'needs_all', uses: 'noop', depends_on: ['ok', 'bad'] },
          { id: 'cleanup', uses: 'noop', depends_on: ['ok', 'bad'], trigger_rule: 'all_done' },
          { id: 'alert', uses: 'noop', depends_on: ['ok', 'bad'], trigger_rule: 'one_failed' },
          { id: 'alert_ok', uses: 'noop', depends_on: ['ok'], trigger_rule: 'one_failed' },
          { id: 'after_skip', uses: 'noop', depends_on: ['alert_ok'] },
          { id: 'after_fail', uses: 'noop', depends_on: ['needs_all'] },
        ],
      })
      const { run, tasks } = await f.runner().run(p)
      assert.deepEqual(stateOf(tasks), {
        ok: 'success', bad: 'failed', needs_all: 'upstream_failed', cleanup: 'success', alert: 'success',
        alert_ok: 'skipped', after_skip: 'skipped', after_fail: 'upstream_failed',
      })
      assert.equal(run.state, 'failed')
    })

    it('passes small outputs downstream and renders templates', async () => {
      const p = pipeline({
        name: 'xcom',
        params: { factor: 3 },
        tasks: [
          { id: 'a', uses: 'emit', params: { value: { n: '{{ params.factor }}', day: '{{ ds }}' } } },
          { id: 'b', uses: 'emit', params: { value: ['{{ inputs.a.n }}', 'on {{ inputs.a.day }}'] }, depends_on: ['a'] },
        ],
      })
      const { tasks } = await f.runner().run(p, { logicalDate: '2026-02-03T04:00:00+02:00', params: { factor: 7 } })
      const b = tasks.find((t) => t.task_id === 'b')!
      assert.deepEqual(JSON.parse(b.output!), [7, 'on 2026-02-03'])
    })

    it('rejects outputs too large to pass between tasks', async () => {
      const p = pipeline({ name: 'big', tasks: [{ id: 'a', uses: 'emit', params: { value: 'x'.repeat(70 * 1024) } }] })
      const { tasks } = await f.runner().run(p)
      assert.equal(tasks[0]!.state, 'failed')
      assert.match(tasks[0]!.error!, /ctx.artifacts/)
    })

    it('writes large outputs as artifacts and passes their reference and content hash', async () => {
      const p = pipeline({
        name: 'art',
        tasks: [
          { id: 'write', uses: 'write_artifact', params: { name: 'data.json', content: { rows: [1, 2, 3] } } },
          { id: 'read', uses: 'emit', params: { value: '{{ inputs.write }}' }, depends_on: ['write'] },
        ],
      })
      const { run, tasks } = await f.runner().run(p)
      const ref = JSON.parse(tasks.find((t) => t.task_id === 'read')!.output!)
      assert.ok(isArtifactRef(ref))
      assert.ok(ref.path.startsWith(join(f.home, 'artifacts', 'art', run.id, 'write')))
      assert.equal(await hashFile(ref.path), ref.sha256)
      assert.deepEqual(JSON.parse(readFileSync(ref.path, 'utf8')), { rows: [1, 2, 3] })
    })

    it('maps a task over a list produced at run time, within its concurrency limit', async () => {
      let active = 0
      let peak = 0
      const track: TaskDefinition<{ n: number }, number> = {
        name: 'square_slowly',
        description: 'squares n, slowly, counting how many run at once',
        params: z.object({ n: z.number() }),
        async run(ctx, p) {
          active++
          peak = Math.max(peak, active)
          try {
            await abortableSleep(150, ctx.signal)
            return p.n * p.n
          } finally {
            active--
          }
        },
      }
      const p = pipeline({
        name: 'mapped',
        max_active_tasks: 8,
        tasks: [
          { id: 'list', uses: 'emit', params: { value: { items: [1, 2, 3, 4, 5] } } },
          { id: 'square', uses: 'square_slowly', params: { n: '{{ item }}' }, depends_on: ['list'], map_over: 'list.items', max_active: 2 },
          { id: 'total', uses: 'emit', params: { value: '{{ inputs.square }}' }, depends_on: ['square'] },
        ],
      })
      const { run, tasks } = await f.runner([track]).run(p)
      assert.equal(run.state, 'success')
      assert.deepEqual(JSON.parse(tasks.find((t) => t.task_id === 'total')!.output!), [1, 4, 9, 16, 25])
      assert.equal(tasks.filter((t) => t.task_id === 'square' && t.map_index >= 0).length, 5)
      assert.equal(peak, 2)
    })

    it('reuses cached outputs until they are older than max_cache_staleness, and not when switched off', async () => {
      const log = join(f.home, 'cache.log')
      const p = pipeline({
        name: 'cached',
        tasks: [
          { id: 'src', uses: 'write_artifact', params: { name: 'x.txt', content: 'same bytes' } },
          { id: 'work', uses: 'append_line', params: { path: log, line: 'ran', value: 42 }, depends_on: ['src'], max_cache_staleness: 'PT1H' },
        ],
      })
      const runner = f.runner()
      const ran = () => readFileSync(log, 'utf8').trim().split('\n').length
      const first = await runner.run(p, { logicalDate: '2026-01-01' })
      assert.equal(ran(), 1)
      f.clock.now = new Date(f.clock.now.getTime() + 30 * 60_000)
      const second = await runner.run(p, { logicalDate: '2026-01-02' })
      const work = second.tasks.find((t) => t.task_id === 'work')!
      assert.equal(ran(), 1, 'a cache hit does not run the task')
      assert.equal(work.cached_from, first.run.id)
      assert.equal(JSON.parse(work.output!), 42)
      await runner.run(p, { logicalDate: '2026-01-03', cache: false })
      assert.equal(ran(), 2, 'caching switched off for the run')
      f.clock.now = new Date(f.clock.now.getTime() + 2 * 3600_000)
      const stale = await runner.run(p, { logicalDate: '2026-01-04' })
      assert.equal(ran(), 3, 'stale outputs are not reused')
      assert.equal(stale.tasks.find((t) => t.task_id === 'work')!.cached_from, null)
    })

    it('misses the cache when an input artifact changes content', async () => {
      const log = join(f.home, 'cache2.log')
      const make = (content: string) => pipeline({
        name: 'cached2',
        tasks: [
          { id: 'src', uses: 'write_artifact', params: { name: 'x.txt', content } },
          { id: 'work', uses: 'append_line', params: { path: log, line: content }, depends_on: ['src'] },
        ],
      })
      const runner = f.runner()
      await runner.run(make('v1'), { logicalDate: '2026-01-01' })
      await runner.run(make('v1'), { logicalDate: '2026-01-02' })
      await runner.run(make('v2'), { logicalDate: '2026-01-03' })
      assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['v1', 'v2'])
    })

    it('never reuses outputs of a task with cache: false', async () => {
      const log = join(f.home, 'nocache.log')
      const p = pipeline({ name: 'uncached', tasks: [{ id: 'work', uses: 'append_line', params: { path: log, line: 'ran' }, cache: false }] })
      await f.runner().run(p, { logicalDate: '2026-01-01' })
      await f.runner().run(p, { logicalDate: '2026-01-02' })
      assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 2)
    })

    it('maps over an empty list to an empty output, and fails a mapped task when an instance fails', async () => {
      const p = pipeline({
        name: 'mapped_edges',
        tasks: [
          { id: 'none', uses: 'emit', params: { value: [] } },
          { id: 'each_none', uses: 'emit', params: { value: '{{ item }}' }, depends_on: ['none'], map_over: 'none' },
          { id: 'some', uses: 'emit', params: { value: ['ok', 'boom'] } },
          { id: 'each_some', uses: 'fail', params: { message: '{{ item }}', until_attempt: 1 }, depends_on: ['some'], map_over: 'some' },
          { id: 'not_a_list', uses: 'emit', params: { value: 'x' }, depends_on: ['none'] },
          { id: 'each_bad', uses: 'noop', depends_on: ['not_a_list'], map_over: 'not_a_list' },
          { id: 'bad_ref', uses: 'emit', params: { value: '{{ params.nope }}' } },
        ],
      })
      const { tasks } = await f.runner().run(p)
      const whole = (id: string) => tasks.find((t) => t.task_id === id && t.map_index === -1)!
      assert.equal(whole('each_none').state, 'success')
      assert.deepEqual(JSON.parse(whole('each_none').output!), [])
      assert.equal(whole('each_some').state, 'success', 'until_attempt 1: every instance succeeds')
      assert.equal(whole('each_bad').state, 'failed')
      assert.match(whole('each_bad').error!, /not_a_list is not a list/)
      assert.equal(whole('bad_ref').state, 'failed')
      assert.match(whole('bad_ref').error!, /task bad_ref: params\.value: \{\{ params\.nope \}\} refers to unknown "params\.nope"; known under params: \(none\)/)
    })

    it('keys runs by pipeline and logical date: re-running a date replaces its run', async () => {
      const p = pipeline({ name: 'keyed', tasks: [{ id: 'a', uses: 'noop' }] })
      const runner = f.runner()
      const first = await runner.run(p, { logicalDate: '2026-05-01T00:00:00Z' })
      const second = await runner.run(p, { logicalDate: '2026-05-01T00:00:00Z' })
      const runs = await runsRepo.listRuns(f.metadata.db, { pipeline: 'keyed' })
      assert.deepEqual(runs.map((r) => r.id), [second.run.id])
      assert.notEqual(first.run.id, second.run.id)
      assert.equal(await runsRepo.getRun(f.metadata.db, first.run.id), undefined)
      assert.equal(runs[0]!.logical_date, '2026-05-01T00:00:00Z')
    })

    it('keys task instances by (run, task, map index): a duplicate is refused, re-inserting is harmless', async () => {
      const { run, tasks } = await f.runner().run(pipeline({ name: 'task_key', tasks: [{ id: 'a', uses: 'noop' }] }))
      const row = tasks[0]!
      await assert.rejects(f.metadata.db.insertInto('pipeline_task_runs').values({ ...row, state: 'pending' }).execute(), /duplicate|constraint/i)
      await runsRepo.insertTaskRuns(f.metadata.db, [{ ...row, state: 'pending' }])
      assert.deepEqual((await runsRepo.listTaskRuns(f.metadata.db, run.id)).map((t) => [t.task_id, t.state]), [['a', 'success']])
    })

    it('records the worker and its heartbeats while a run executes', async () => {
      const beats: TaskDefinition = {
        name: 'watch_heartbeat', description: 'waits until the run records a heartbeat at the advanced clock', params: z.object({}), cacheable: false,
        async run(ctx) {
          f.clock.now = new Date(f.clock.now.getTime() + 60_000)
          const expected = f.clock.now.toISOString()
          for (let i = 0; i < 200; i++) {
            const row = await runsRepo.getRun(f.metadata.db, ctx.runId)
            if (row!.heartbeat_at !== null && Date.parse(row!.heartbeat_at) === Date.parse(expected)) return { seen: expected }
            await new Promise((r) => setTimeout(r, 10))
          }
          throw new Error('no heartbeat in 2 s')
        },
      }
      const summary = await f.runner([beats], { heartbeatSeconds: 0.02 }).run(pipeline({ name: 'beating', tasks: [{ id: 'a', uses: 'watch_heartbeat' }] }))
      assert.equal(summary.run.state, 'success', summary.tasks[0]!.error ?? '')
      assert.equal(summary.run.worker, `${hostname()}:${process.pid}`)
      assert.equal(summary.run.worker_lost, false)
    })

    it('shows a running run whose worker died as lost, and resumes only such a run', async () => {
      const runner = f.runner([], { heartbeatSeconds: 10 })
      const p = pipeline({ name: 'orphan', tasks: [{ id: 'a', uses: 'noop' }] })
      const run = await runner.createRun(p)
      const now = () => f.clock.now.toISOString()
      const set = (worker: string, heartbeatAt: string) => runsRepo.updateRun(f.metadata.db, run.id, { state: 'running', worker, heartbeat_at: heartbeatAt })
      const lost = async () => runner.view((await runsRepo.getRun(f.metadata.db, run.id))!).worker_lost

      await set(`${hostname()}:${process.pid}`, now())
      assert.equal(await lost(), false, 'this process, fresh heartbeat')
      await assert.rejects(runner.resume(run.id), /run .* is being executed by .*; resume is for runs whose worker died/)
      const exited = spawnSync(process.execPath, ['-e', '']).pid!
      await set(`${hostname()}:${exited}`, now())
      assert.equal(await lost(), true, 'a process of this host that has exited is lost at once')
      await set('elsewhere:1', now())
      assert.equal(await lost(), false, 'another host: trusted while it beats')
      f.clock.now = new Date(f.clock.now.getTime() + 31_000)
      assert.equal(await lost(), true, 'three heartbeats missed')
      const resumed = await runner.resume(run.id)
      assert.equal(resumed.run.state, 'success')
      assert.equal(resumed.run.worker_lost, false)
    })

    it('names unknown task types and parameters', async () => {
      const p = pipeline({ name: 'unknown', tasks: [{ id: 'a', uses: 'no_such_task' }] })
      await assert.rejects(f.runner().run(p), /task a: uses: unknown task type "no_such_task"; known: .*append_line/)
      const q = pipeline({ name: 'unknown_param', params: { a: 1 }, tasks: [{ id: 'a', uses: 'noop' }] })
      await assert.rejects(f.runner().run(q, { params: { b: 2 } }), /pipeline unknown_param: params: unknown parameter "b"; known: a/)
    })
  })
}
