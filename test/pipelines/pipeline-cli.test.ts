import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'
import { once } from 'node:events'
import { tempDir } from '../helpers/engines.js'
import { spawnAsof } from '../helpers/cli.js'

const BIN = resolve(import.meta.dirname, '../../bin/asof.js')
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ASOF_')))

function asof(repo: string, ...args: string[]) {
  return spawnSync(process.execPath, [BIN, '--repo', repo, ...args], { encoding: 'utf8', env: CLEAN_ENV })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('asof pipeline (CLI, embedded)', () => {
  let repo: { dir: string; remove: () => void }
  let log: string
  before(() => {
    repo = tempDir('asof-pipeline-cli-')
    log = join(repo.dir, 'effects.log')
    mkdirSync(join(repo.dir, 'pipelines'))
    const step = (id: string, deps: string[]) => `  - { id: ${id}, uses: append_line, params: { path: ${JSON.stringify(log)}, line: ${id} }, depends_on: [${deps.join(', ')}] }`
    writeFileSync(join(repo.dir, 'pipelines', 'crash.yaml'), [
      'name: crash',
      'schedule: "0 0 * * *"',
      'params: { pause_ms: 3000 }',
      'tasks:',
      step('first', []),
      step('second', ['first']),
      '  - { id: slow, uses: sleep, params: { ms: "{{ params.pause_ms }}" }, depends_on: [second] }',
      step('last', ['slow']),
      '',
    ].join('\n'))
    writeFileSync(join(repo.dir, 'pipelines', 'broken.json'), JSON.stringify({ name: 'broken', tasks: [{ id: 'boom', uses: 'fail', params: { message: 'no data today' } }] }))
  })
  after(() => repo?.remove())

  it('lists pipelines and rejects an unknown one with exit 2', () => {
    const list = asof(repo.dir, 'pipeline', 'list')
    assert.equal(list.status, 0, list.stderr)
    assert.match(list.stdout, /crash {2}4 tasks {2}cron 0 0 \* \* \*/)
    const unknown = asof(repo.dir, 'pipeline', 'run', 'nope')
    assert.equal(unknown.status, 2)
    assert.match(unknown.stderr, /unknown pipeline "nope"; known: broken, crash/)
  })

  it('exits 1 when a run fails and shows why', () => {
    const r = asof(repo.dir, '--json', 'pipeline', 'run', 'broken')
    assert.equal(r.status, 1, r.stderr)
    const summary = JSON.parse(r.stdout)
    assert.equal(summary.run.state, 'failed')
    assert.match(summary.run.note, /boom failed: .*no data today/)
  })

  it('resumes a run killed with SIGKILL from the first unfinished task, doing nothing twice', async () => {
    const child = spawn(process.execPath, [BIN, '--repo', repo.dir, 'pipeline', 'run', 'crash', '--date', '2026-04-01'], { env: CLEAN_ENV, stdio: 'ignore' })
    const exited = once(child, 'exit')
    const deadline = Date.now() + 30_000
    while (!(existsSync(log) && readFileSync(log, 'utf8').includes('second')) && Date.now() < deadline) await sleep(50)
    await sleep(1000) // `second` has recorded its success; `slow` is sleeping
    child.kill('SIGKILL')
    const [, signal] = await exited
    assert.equal(signal, 'SIGKILL')
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['first', 'second'], 'killed while `slow` ran')

    const runs = asof(repo.dir, '--json', 'pipeline', 'runs', 'crash')
    const [run] = JSON.parse(runs.stdout)
    assert.equal(run.state, 'running')
    assert.equal(run.worker_lost, true, 'the killed process cannot heartbeat')
    assert.equal(run.worker, `${hostname()}:${child.pid}`)
    assert.equal(run.logical_date, '2026-04-01T00:00:00Z')
    assert.equal(run.data_interval_end, '2026-04-02T00:00:00Z')
    const shown = asof(repo.dir, 'pipeline', 'show', run.id)
    assert.match(shown.stdout, new RegExp(`running  manual  worker lost \\(${hostname()}:${child.pid}, last heartbeat .*\\): asof pipeline resume ${run.id}`))

    const resumed = asof(repo.dir, '--json', 'pipeline', 'resume', run.id)
    assert.equal(resumed.status, 0, resumed.stderr)
    const summary = JSON.parse(resumed.stdout)
    assert.equal(summary.run.state, 'success')
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['first', 'second', 'last'])
    const attempts = Object.fromEntries(summary.tasks.map((t: { task_id: string; attempt: number }) => [t.task_id, t.attempt]))
    assert.deepEqual(attempts, { first: 1, second: 1, slow: 2, last: 1 })
  })

  it('backfills exactly the scheduled dates, skipping succeeded ones unless asked (after the resumed 2026-04-01 run)', () => {
    const r = asof(repo.dir, '--json', 'pipeline', 'backfill', 'crash', '--from', '2026-04-01', '--to', '2026-04-03T12:00:00Z')
    assert.equal(r.status, 0, r.stderr)
    const result = JSON.parse(r.stdout)
    assert.deepEqual(result.runs.map((x: { logical_date: string }) => x.logical_date), ['2026-04-02T00:00:00Z', '2026-04-03T00:00:00Z'])
    assert.deepEqual(result.skipped, ['2026-04-01T00:00:00Z'])
    const rerun = asof(repo.dir, '--json', 'pipeline', 'backfill', 'crash', '--from', '2026-04-01', '--to', '2026-04-02', '--rerun-succeeded')
    assert.equal(rerun.status, 0, rerun.stderr)
    assert.equal(JSON.parse(rerun.stdout).runs.length, 2)
    const runs = JSON.parse(asof(repo.dir, '--json', 'pipeline', 'runs', 'crash').stdout)
    assert.deepEqual(runs.map((x: { logical_date: string }) => x.logical_date), ['2026-04-03T00:00:00Z', '2026-04-02T00:00:00Z', '2026-04-01T00:00:00Z'])
  })

  // last: the scheduler also fires the newest daily tick of `crash`
  it('runs the scheduler in the foreground: a sensor fires a run, SIGTERM stops it cleanly', async () => {
    const landing = join(repo.dir, 'landing.csv')
    const sensed = join(repo.dir, 'sensed.log')
    writeFileSync(join(repo.dir, 'pipelines', 'sensed.yaml'), [
      'name: sensed',
      'sensors: { file: { path: landing.csv } }',
      `tasks: [{ id: note, uses: append_line, params: { path: ${JSON.stringify(sensed)}, line: "{{ logical_date }}" }, cache: false }]`,
      '',
    ].join('\n'))
    writeFileSync(landing, 'id\n1\n')
    const scheduler = spawnAsof(['--repo', repo.dir, 'pipeline', 'scheduler', '--poll', '1'], { deadlineMs: 90_000 })
    try {
      // it says in the terminal which run it fired, and how it ended
      const [, runId] = await scheduler.waitFor(/asof scheduler: fired sensed \S+ \(sensor\) as run (\S+)/, 'stderr')
      await scheduler.waitFor(new RegExp(`asof scheduler: ended sensed \\S+ \\(sensor\\) as run ${runId}: success`), 'stderr')
      await sleep(1500) // more ticks: the unchanged file must not fire again
      const { status, stderr } = await scheduler.stop('SIGTERM')
      assert.equal(status, 0, stderr)
      assert.equal(stderr.match(/asof scheduler: fired sensed/g)?.length, 1, stderr)
    } finally {
      scheduler.kill()
    }
    assert.equal(readFileSync(sensed, 'utf8').trim().split('\n').length, 1)
  })
})
