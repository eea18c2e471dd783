import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadPipelines, parsePipelines, topologicalOrder } from '../../src/pipelines/index.js'
import { tempDir } from '../helpers/engines.js'

const task = (id: string, depends_on: string[] = [], extra: Record<string, unknown> = {}) => ({ id, uses: 'noop', depends_on, ...extra })

describe('pipeline definitions', () => {
  it('fill in Airflow-like defaults and parse durations', () => {
    const [p] = parsePipelines({ name: 'p', tasks: [task('a', [], { retries: 2, retry_delay: '30s', timeout: '5m', max_cache_staleness: 'P7D' })] }, 'x.yaml')
    const t = p!.tasks[0]!
    assert.equal(t.trigger_rule, 'all_success')
    assert.equal(t.retry_delay, 30)
    assert.equal(t.timeout, 300)
    assert.equal(t.max_cache_staleness, 7 * 86400)
    assert.equal(t.cache, true)
    assert.equal(p!.catchup, false)
  })

  it('name the file and field at fault', () => {
    assert.throws(() => parsePipelines({ name: 'p', tasks: [task('a', [], { trigger_rule: 'sometimes' })] }, 'pipelines/p.yaml'),
      /pipelines\/p\.yaml: tasks\[0\]\.trigger_rule/)
    assert.throws(() => parsePipelines({ name: 'p', schedule: 'every day', tasks: [task('a')] }, 'p.yaml'), /p\.yaml: schedule: not a valid cron expression/)
    assert.throws(() => parsePipelines({ name: 'p', tasks: [task('a', [], { max_cache_staleness: '7 days' })] }, 'p.yaml'), /max_cache_staleness: .*ISO-8601/)
    assert.throws(() => parsePipelines({ name: 'p', tasks: [task('a', ['ghost'])] }, 'p.yaml'), /task a: depends_on: unknown task "ghost"; known: a/)
    assert.throws(() => parsePipelines({ name: 'p', tasks: [task('a'), task('a')] }, 'p.yaml'), /task id a appears twice/)
    assert.throws(() => parsePipelines({ name: 'p', tasks: [task('a', ['c']), task('b', ['a']), task('c', ['b'])] }, 'p.yaml'), /dependency cycle a → c → b → a/)
    assert.throws(() => parsePipelines({ name: 'p', tasks: [task('a'), task('b', [], { map_over: 'a' })] }, 'p.yaml'), /map_over: a must also be in depends_on/)
  })

  it('name the sensor field at fault, inside AND/OR', () => {
    const sensed = (sensors: unknown) => () => parsePipelines({ name: 'p', sensors, tasks: [task('a')] }, 'p.yaml')
    const drift = { reference: { type: 'model', name: 'm' }, current: { type: 'file', path: 'recent.csv' } }
    assert.throws(sensed({ drift: { ...drift, test: 't' } }), /p\.yaml: sensors\.drift\.test: Invalid option: expected one of "ks"\|"chisquare"/)
    assert.throws(sensed({ all: [{ file: { path: 'a' } }, { drift: { ...drift, reference: { type: 'file' } } }] }), /p\.yaml: sensors\.all\[1\]\.drift\.reference\.path: /)
    assert.throws(sensed({ file: { path: 'a' }, checkpoint: { name: 'c' } }), /p\.yaml: sensors: a sensor condition has exactly one of the keys all, any, file, feature_view, checkpoint, drift/)
    const [p] = parsePipelines({ name: 'p', sensors: { any: [{ checkpoint: { name: 'c' } }, { drift }] }, tasks: [task('a')] }, 'p.yaml')
    assert.deepEqual(p!.sensors, { any: [{ checkpoint: { name: 'c' } }, { drift: { ...drift, reference: { ...drift.reference, alias: 'champion' }, drift_share: 0.5 } }] })
  })

  it('order tasks after their dependencies', () => {
    const [p] = parsePipelines({ name: 'p', tasks: [task('d', ['b', 'c']), task('c', ['a']), task('b', ['a']), task('a')] }, 'p.yaml')
    const order = topologicalOrder(p!)
    for (const t of p!.tasks) for (const d of t.depends_on) assert.ok(order.indexOf(d) < order.indexOf(t.id), `${d} before ${t.id}`)
  })

  it('generate one pipeline per experiment (DAG factory)', () => {
    const ps = parsePipelines({
      name: 'train', params: { lr: 0.1, epochs: 5 },
      generate: { mode: 'pipelines', experiments: [{ name: 'small', params: { epochs: 2 } }, { name: 'big', params: { epochs: 50 } }] },
      tasks: [task('fit')],
    }, 'train.yaml')
    assert.deepEqual(ps.map((p) => p.name), ['train__small', 'train__big'])
    assert.deepEqual(ps[0]!.params, { lr: 0.1, epochs: 2, experiment: 'small' })
  })

  it('generate one task per point of a parameter grid, wiring dependants to every copy', () => {
    const [p] = parsePipelines({
      name: 'sweep',
      generate: { mode: 'tasks', task: 'fit', grid: { lr: [0.1, 0.01], units: [8, 16] } },
      tasks: [task('prep'), { id: 'fit', uses: 'emit', params: { value: 1 }, depends_on: ['prep'] }, task('pick', ['fit'])],
    }, 'sweep.yaml')
    const fits = p!.tasks.filter((t) => t.id.startsWith('fit__'))
    assert.deepEqual(fits.map((t) => t.id), ['fit__lr_0_1__units_8', 'fit__lr_0_1__units_16', 'fit__lr_0_01__units_8', 'fit__lr_0_01__units_16'])
    assert.deepEqual(fits[1]!.params, { value: 1, lr: 0.1, units: 16 })
    assert.deepEqual(p!.tasks.find((t) => t.id === 'pick')!.depends_on, fits.map((t) => t.id))
  })

  it('load YAML and JSON files from <repo>/pipelines, refusing duplicate names', () => {
    const repo = tempDir()
    try {
      assert.deepEqual(loadPipelines(repo.dir), [])
      mkdirSync(join(repo.dir, 'pipelines'))
      writeFileSync(join(repo.dir, 'pipelines', 'a.yaml'), 'name: alpha\nschedule: "0 3 * * *"\nstart_date: 2026-01-01\ntasks:\n  - id: t\n    uses: noop\n')
      writeFileSync(join(repo.dir, 'pipelines', 'b.json'), JSON.stringify({ name: 'beta', tasks: [task('t')] }))
      const ps = loadPipelines(repo.dir)
      assert.deepEqual(ps.map((p) => [p.name, p.source]), [['alpha', 'pipelines/a.yaml'], ['beta', 'pipelines/b.json']])
      assert.equal(ps[0]!.start_date, '2026-01-01T00:00:00Z')
      writeFileSync(join(repo.dir, 'pipelines', 'c.yml'), 'name: beta\ntasks: [{ id: t, uses: noop }]\n')
      assert.throws(() => loadPipelines(repo.dir), /pipeline beta is defined in pipelines\/b\.json and pipelines\/c\.yml/)
      writeFileSync(join(repo.dir, 'pipelines', 'c.yml'), 'name: [oops\n')
      assert.throws(() => loadPipelines(repo.dir), /pipelines\/c\.yml: not valid YAML/)
    } finally {
      repo.remove()
    }
  })
})
