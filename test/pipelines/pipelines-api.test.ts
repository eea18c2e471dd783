import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'
import { once } from 'node:events'
import { ENGINES, tempDir, type TestEngine } from '../helpers/engines.js'
import { call, startTestService } from '../api/helpers.js'
import { startServe } from '../helpers/serve.js'
import { createLogger } from '../../src/core/index.js'
import { PipelinesService } from '../../src/pipelines/index.js'
import { openRunnerFixture } from './helpers.js'
import { runsRepo, type MetadataStore } from '../../src/metadata/index.js'

const BIN = resolve(import.meta.dirname, '../../bin/asof.js')
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ASOF_')))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** `nap` sleeps `params.ms` (default 1500) then notes; `broken` fails. */
function writePipelines(dir: string): void {
  mkdirSync(join(dir, 'pipelines'), { recursive: true })
  writeFileSync(join(dir, 'pipelines', 'nap.yaml'), [
    'name: nap',
    'params: { ms: 1500 }',
    'tasks:',
    '  - { id: nap, uses: sleep, params: { ms: "{{ params.ms }}" }, cache: false }',
    '  - { id: done, uses: noop, depends_on: [nap], cache: false }',
    '',
  ].join('\n'))
  writeFileSync(join(dir, 'pipelines', 'broken.yaml'), 'name: broken\ntasks:\n  - { id: boom, uses: fail, params: { message: no data today } }\n')
}

/** Polls a run until it leaves queued/running. */
async function untilEnded(url: string, location: string): Promise<any> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
    const r = await call(url, 'GET', location)
    assert.equal(r.status, 200, r.text)
    if (!['queued', 'running'].includes(r.json.run.state)) return r.json
  }
  throw new Error(`${location} did not end`)
}

for (const engine of ENGINES) {
  describe(`${engine.kind}: pipeline runs over HTTP`, { skip: engine.skip }, () => {
    it('answers 202 with the run and a Location to poll, at once; the run continues and ends', async () => {
      const svc = await startTestService(engine, { allowOpen: true, writeRepo: writePipelines })
      try {
        const t0 = Date.now()
        const r = await call(svc.url, 'POST', '/api/v1/pipelines/nap/runs', { body: { logical_date: '2026-05-01T00:00:00Z' } })
        assert.equal(r.status, 202, r.text)
        assert.ok(Date.now() - t0 < 1500, 'answered before the 1.5 s task ended')
        const run = r.json.run
        assert.ok(['queued', 'running'].includes(run.state), run.state)
        assert.equal(run.logical_date, '2026-05-01T00:00:00Z')
        assert.equal(r.headers.get('location'), `/api/v1/runs/${run.id}`)
        assert.deepEqual(r.json.tasks.map((t: { task_id: string }) => t.task_id).sort(), ['done', 'nap'])

        // the same logical date while it runs: 409 naming the run, and no second run
        const again = await call(svc.url, 'POST', '/api/v1/pipelines/nap/runs', { body: { logical_date: '2026-05-01' } })
        assert.equal(again.status, 409, again.text)
        assert.match(again.json.detail, new RegExp(`run ${run.id} (queued|running) for logical date 2026-05-01T00:00:00Z`))
        // and resuming it while its worker is alive is refused too
        assert.equal((await call(svc.url, 'POST', `/api/v1/runs/${run.id}/resume`)).status, 409)

        const ended = await untilEnded(svc.url, r.headers.get('location')!)
        assert.equal(ended.run.state, 'success')
        assert.equal(ended.run.worker_lost, false)
        assert.deepEqual(ended.tasks.map((t: { state: string }) => t.state), ['success', 'success'])

        // once ended, the date can run again: the new run replaces it
        const rerun = await call(svc.url, 'POST', '/api/v1/pipelines/nap/runs?wait=true', { body: { logical_date: '2026-05-01', params: { ms: 0 } } })
        assert.equal(rerun.status, 201, rerun.text)
        assert.equal(rerun.json.run.state, 'success')
        assert.notEqual(rerun.json.run.id, run.id)
        const runs = await call(svc.url, 'GET', '/api/v1/runs?pipeline=nap')
        assert.deepEqual(runs.json.runs.map((x: { id: string }) => x.id), [rerun.json.run.id])
        // params and definition are JSON objects, not JSON text inside JSON
        const shown = await call(svc.url, 'GET', `/api/v1/runs/${rerun.json.run.id}`)
        for (const view of [rerun.json.run, runs.json.runs[0], shown.json.run]) {
          assert.deepEqual(view.params, { ms: 0 })
          assert.equal(view.definition.name, 'nap')
          assert.deepEqual(view.definition.tasks.map((t: { id: string }) => t.id), ['nap', 'done'])
        }
      } finally {
        await svc.dispose()
      }
    })

    it('?wait=true answers when the run ends, failed runs included', async () => {
      const svc = await startTestService(engine, { allowOpen: true, writeRepo: writePipelines })
      try {
        const r = await call(svc.url, 'POST', '/api/v1/pipelines/broken/runs?wait=true')
        assert.equal(r.status, 201, r.text)
        assert.equal(r.json.run.state, 'failed')
        assert.match(r.json.run.note, /boom failed: .*no data today/)
        const bad = await call(svc.url, 'POST', '/api/v1/pipelines/broken/runs?wait=yes')
        assert.equal(bad.status, 400)
        assert.equal(bad.json.field, 'querystring.wait')
        // documented in the OpenAPI schema, on every route that starts runs
        const doc = (await call(svc.url, 'GET', '/docs/json')).json
        for (const path of ['/api/v1/pipelines/{name}/runs', '/api/v1/pipelines/{name}/backfill', '/api/v1/runs/{id}/resume']) {
          const wait = doc.paths[path].post.parameters.find((x: { name: string; in: string }) => x.name === 'wait' && x.in === 'query')
          assert.match(wait?.description ?? '', /answer when the run ends/, path)
        }
      } finally {
        await svc.dispose()
      }
    })

    it('backfills in the background, one run at a time; an overlapping backfill is a 409', async () => {
      const svc = await startTestService(engine, { allowOpen: true, writeRepo: (dir) => {
        writePipelines(dir)
        writeFileSync(join(dir, 'pipelines', 'daily.yaml'), 'name: daily\nschedule: "0 0 * * *"\ntasks:\n  - { id: nap, uses: sleep, params: { ms: 300 }, cache: false }\n')
      } })
      try {
        const body = { from: '2026-04-01', to: '2026-04-03' }
        const r = await call(svc.url, 'POST', '/api/v1/pipelines/daily/backfill', { body })
        assert.equal(r.status, 202, r.text)
        assert.deepEqual(r.json.runs.map((x: { run: { logical_date: string } }) => x.run.logical_date), ['2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z', '2026-04-03T00:00:00Z'])
        assert.deepEqual(r.json.skipped, [])
        const overlapping = await call(svc.url, 'POST', '/api/v1/pipelines/daily/backfill', { body: { from: '2026-04-03', to: '2026-04-04' } })
        assert.equal(overlapping.status, 409, overlapping.text)
        assert.match(overlapping.json.detail, /for logical date 2026-04-03T00:00:00Z/)
        const ended = []
        for (const x of r.json.runs) ended.push(await untilEnded(svc.url, `/api/v1/runs/${x.run.id}`))
        assert.deepEqual(ended.map((x) => x.run.state), ['success', 'success', 'success'])
        const starts = ended.map((x) => Date.parse(x.run.started_at))
        assert.ok(starts[1]! >= Date.parse(ended[0].run.ended_at) && starts[2]! >= Date.parse(ended[1].run.ended_at), 'one at a time, oldest first')
        const again = await call(svc.url, 'POST', '/api/v1/pipelines/daily/backfill?wait=true', { body: { from: '2026-04-01', to: '2026-04-04' } })
        assert.equal(again.status, 200, again.text)
        assert.deepEqual(again.json.skipped, ['2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z', '2026-04-03T00:00:00Z'])
        assert.deepEqual(again.json.runs.map((x: { run: { state: string } }) => x.run.state), ['success'])
      } finally {
        await svc.dispose()
      }
    })

    it('refuses bad input with a 4xx before recording anything', async () => {
      const svc = await startTestService(engine, { allowOpen: true, writeRepo: writePipelines })
      try {
        const cases: [string, unknown, number, RegExp][] = [
          ['/api/v1/pipelines/nope/runs', {}, 404, /unknown pipeline "nope"; known: broken, nap/],
          ['/api/v1/pipelines/nap/runs', { params: { sleepy: 1 } }, 400, /params: unknown parameter "sleepy"; known: ms/],
          ['/api/v1/pipelines/nap/runs', { logical_date: 'yesterday' }, 400, /logical_date: expected an ISO-8601 timestamp/],
          ['/api/v1/pipelines/nap/runs', { params: { ms: 'long' } }, 202, /./], // a param's type is the task's to check, when it runs
        ]
        for (const [path, body, status, detail] of cases) {
          const r = await call(svc.url, 'POST', path, { body })
          assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`)
          if (status >= 400) assert.match(r.json.detail, detail)
          else await untilEnded(svc.url, r.headers.get('location')!)
        }
        const runs = await call(svc.url, 'GET', '/api/v1/runs')
        assert.equal(runs.json.runs.length, 1, 'only the well-formed request made a run')
        assert.equal(runs.json.runs[0].state, 'failed')
        assert.match(runs.json.runs[0].note, /task nap failed: .*params: ms: /)
        assert.equal((await call(svc.url, 'POST', '/api/v1/runs/run_nope/resume')).status, 404)
      } finally {
        await svc.dispose()
      }
    })
  })
}

/** Pipelines services (as many as asked for) over one metadata store on `engine` and one repo. */
async function withServices(engine: TestEngine, work: (service: () => PipelinesService, metadata: MetadataStore) => Promise<void>): Promise<void> {
  const fixture = await openRunnerFixture(engine)
  const repo = tempDir('asof-pipeline-services-')
  writePipelines(repo.dir)
  try {
    await work(() => new PipelinesService({ metadata: fixture.metadata, repoDir: repo.dir, home: fixture.home, log: createLogger('silent') }), fixture.metadata)
  } finally {
    await fixture.dispose()
    repo.remove()
  }
}

for (const engine of ENGINES) {
  describe(`${engine.kind}: two processes triggering one logical date`, { skip: engine.skip }, () => {
    it('start it once; the other gets the 409, whether it lost at the check or at the insert', () => withServices(engine, async (service) => {
      // two services on one metadata store: each serializes only its own requests, like two replicas
      const [a, b] = [service(), service()]
      for (const day of ['01', '02', '03', '04']) {
        // the run outlasts both requests (an ended run may be replaced: that is a re-run, not a race)
        const request = { logicalDate: `2026-07-${day}`, params: { ms: 800 } }
        const outcomes = await Promise.allSettled([a.start('nap', request), b.start('nap', request)])
        const started = outcomes.filter((o) => o.status === 'fulfilled')
        const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
        assert.equal(started.length, 1, `${day}: ${refused.map((r) => String(r.reason)).join('; ')}`)
        assert.equal(refused[0]!.reason.code, 'ASOF_CONFLICT', String(refused[0]!.reason))
        assert.equal((await started[0]!.value.done).run.state, 'success')
      }
      assert.equal((await a.runs({ pipeline: 'nap' })).length, 4)
    }))
  })
}

for (const engine of ENGINES) {
  describe(`${engine.kind}: a process stopping under its runs`, { skip: engine.skip }, () => {
    it('marks them lost at once, and a late heartbeat does not revive them', () => withServices(engine, async (services, metadata) => {
      const service = services()
      const started = await service.start('nap', { params: { ms: 1000 } })
      for (let i = 0; i < 100 && (await service.show(started.run.id)).run.state !== 'running'; i++) await sleep(20)
      assert.deepEqual(await service.interruptRuns('test stop'), [started.run.id])
      const [lost] = await service.runs({ pipeline: 'nap' })
      assert.equal(lost!.worker_lost, true)
      assert.equal(lost!.note, 'interrupted: test stop')
      assert.equal(await runsRepo.heartbeat(metadata.db, lost!.id, lost!.worker!, new Date().toISOString()), false)
      assert.equal((await service.show(lost!.id)).run.heartbeat_at, null)
      await started.done // this process did not actually stop: the run ends, and says so
      assert.equal((await service.show(lost!.id)).run.state, 'success')
    }))
  })
}

function asof(repo: string, ...args: string[]) {
  return spawnSync(process.execPath, [BIN, '--repo', repo, ...args], { encoding: 'utf8', env: CLEAN_ENV })
}

/** The same, without blocking this process (the server under test runs in a child of it). */
async function asofAsync(repo: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, '--repo', repo, ...args], { env: CLEAN_ENV })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const [status] = await once(child, 'exit')
  return { status, stdout, stderr }
}

describe('asof pipeline beside a running asof serve (real processes)', () => {
  it('runs through the API with the local output, and a run cut by SIGTERM shows lost at once and resumes', async () => {
    const { dir, remove } = tempDir('asof-pipeline-api-')
    writePipelines(dir)
    writeFileSync(join(dir, 'pipelines', 'daily.yaml'), 'name: daily\nschedule: "0 0 * * *"\ntasks:\n  - { id: nap, uses: sleep, params: { ms: 100 }, cache: false }\n')
    const local = asof(dir, 'pipeline', 'run', 'nap', '--param', 'ms=0', '--date', '2026-06-01')
    assert.equal(local.status, 0, local.stderr)
    let server = await startServe(dir, CLEAN_ENV)
    try {
      // the server holds the DuckDB file: run, runs, show and resume go through its API
      const remote = await asofAsync(dir, 'pipeline', 'run', 'nap', '--param', 'ms=300', '--date', '2026-06-02')
      assert.equal(remote.status, 0, remote.stderr)
      const shape = (text: string) => text.replace(/run_\w+/g, 'RUN').replace(/2026-06-0\d/g, 'DATE').replace(/"ms":\d+/, 'MS')
      assert.equal(shape(remote.stdout), shape(local.stdout), 'the same output as a local run')
      assert.match(remote.stdout, /success {2}manual/)
      const failed = await asofAsync(dir, 'pipeline', 'run', 'broken')
      assert.equal(failed.status, 1, failed.stderr)
      assert.match(failed.stdout, /boom .*failed .*no data today/)
      const unknown = await asofAsync(dir, 'pipeline', 'run', 'nope')
      assert.equal(unknown.status, 2)
      assert.match(unknown.stderr, /unknown pipeline "nope"/)
      const backfilled = await asofAsync(dir, 'pipeline', 'backfill', 'daily', '--from', '2026-04-01', '--to', '2026-04-02')
      assert.equal(backfilled.status, 0, backfilled.stderr)
      assert.match(backfilled.stdout, /2026-04-01T00:00:00Z {2}success {2}backfill\n.*2026-04-02T00:00:00Z {2}success {2}backfill\n2 runs, 0 failed, 0 skipped\n$/)

      // SIGTERM while a triggered run sleeps: the server exits, the run is not left looking alive
      const started = await call(server.url, 'POST', '/api/v1/pipelines/nap/runs', { body: { params: { ms: 4000 }, logical_date: '2026-06-03' } })
      assert.equal(started.status, 202, started.text)
      const runId = started.json.run.id
      await sleep(500)
      server.child.kill('SIGTERM')
      const [code] = await once(server.child, 'exit')
      assert.equal(code, 0)
      const listed = asof(dir, '--json', 'pipeline', 'runs', 'nap', '--limit', '1')
      const [run] = JSON.parse(listed.stdout)
      assert.equal(run.id, runId)
      assert.equal(run.state, 'running')
      assert.equal(run.worker_lost, true)
      assert.equal(run.worker, `${hostname()}:${server.child.pid}`)
      assert.equal(run.heartbeat_at, null, 'lost at once, not after missed heartbeats')
      assert.match(run.note, /interrupted: the server stopped while it ran/)

      // resumed through a new server: the CLI polls it to its end
      server = await startServe(dir, CLEAN_ENV)
      const resumed = await asofAsync(dir, '--json', 'pipeline', 'resume', runId)
      assert.equal(resumed.status, 0, resumed.stderr)
      const summary = JSON.parse(resumed.stdout)
      assert.equal(summary.run.state, 'success')
      assert.equal(summary.run.note, null)
      assert.deepEqual(Object.fromEntries(summary.tasks.map((t: { task_id: string; attempt: number }) => [t.task_id, t.attempt])), { nap: 2, done: 1 })
    } finally {
      server.child.kill('SIGKILL')
      remove()
    }
  })
})
