import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/engines.js'
import { runAsof, type CliResult } from '../helpers/cli.js'

// The real binary in embedded mode (the DuckDB file under <repo>/.asof); the PostgreSQL side of
// checkpoints is covered by checkpoint.test.ts against the service.
const repo = tempDir('asof-checkpoint-cli-')
const write = (name: string, value: unknown) => {
  const path = join(repo.dir, name)
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value))
  return path
}

function asof(...args: string[]): Promise<CliResult> {
  return runAsof(['--repo', repo.dir, ...args])
}

mkdirSync(join(repo.dir, 'checkpoints'))
write('trips.csv', 'trip_id,fare,city\n1,10.5,paris\n2,12,rome\n3,,paris\n4,9,oslo\n')
write('bigger.csv', 'trip_id,fare,city\n1,10.5,paris\n2,12,rome\n3,99,lima\n4,9,oslo\n5,9,oslo\n')
write('checkpoints/trips.json', { name: 'trips', validations: [{ batch: { type: 'file', path: 'trips.csv' }, suite: { path: 'suite.json' } }] })
write('checkpoints/bigger.json', { name: 'bigger', validations: [{ batch: { type: 'file', path: 'bigger.csv' }, suite: { path: 'suite.json' } }], actions: [{ type: 'store_result' }, { type: 'record_metrics' }, { type: 'render_data_docs', output: 'site' }] })
write('checkpoints/broken.json', { name: 'broken', validations: [{ batch: { type: 'file', path: 'trips.csv' } }] })

describe('asof suite / checkpoint / docs (CLI, embedded)', () => {
  after(() => repo.remove())

  it('profiles a file into a suite that validates the same data', async () => {
    const profiled = await asof('suite', 'profile', '--data', join(repo.dir, 'trips.csv'), '--output', join(repo.dir, 'suite.json'))
    assert.equal(profiled.status, 0, profiled.stderr)
    const suite = JSON.parse(readFileSync(join(repo.dir, 'suite.json'), 'utf8'))
    assert.equal(suite.name, 'trips')
    assert.ok(suite.expectations.some((e: { type: string; kwargs: { column?: string; mostly?: number } }) => e.type === 'expect_column_values_to_not_be_null' && e.kwargs.column === 'fare' && e.kwargs.mostly === 0.75))
    // the checkpoint `trips` validates trips.csv with this suite
    const validated = await asof('--json', 'checkpoint', 'run', 'trips')
    assert.equal(validated.status, 0, validated.stdout + validated.stderr)
    assert.equal(JSON.parse(validated.stdout).validations[0].statistics.evaluated_expectations, suite.expectations.length)
  })

  it('profiling never replaces a suite file or takes a stored suite\'s name unasked', async () => {
    const before = readFileSync(join(repo.dir, 'suite.json'), 'utf8')
    const refused = await asof('suite', 'profile', '--data', join(repo.dir, 'bigger.csv'), '--output', join(repo.dir, 'suite.json'))
    assert.equal(refused.status, 2)
    assert.match(refused.stderr, /suite\.json exists; pass --force/)
    assert.equal(readFileSync(join(repo.dir, 'suite.json'), 'utf8'), before)
    // the checkpoint run above stored the suite `trips`
    const renamed = await asof('--json', 'suite', 'profile', '--data', join(repo.dir, 'trips.csv'), '--output', join(repo.dir, 'trips-profile.json'))
    assert.equal(renamed.status, 0, renamed.stderr)
    assert.equal(JSON.parse(renamed.stdout).name, 'trips_profiled')
    assert.match(renamed.stderr, /a stored suite is named trips: this one is named trips_profiled/)
    const forced = await asof('--json', 'suite', 'profile', '--data', join(repo.dir, 'trips.csv'), '--output', join(repo.dir, 'trips-profile.json'), '--force', '--name', 'trips')
    assert.equal(JSON.parse(forced.stdout).name, 'trips')
  })

  it('checkpoint run exits 0 when it passes and 1 when it fails; results are stored', async () => {
    const fail = await asof('--json', 'checkpoint', 'run', 'bigger')
    assert.equal(fail.status, 1, fail.stderr)
    const run = JSON.parse(fail.stdout)
    assert.equal(run.success, false)
    assert.equal(run.validations[0].suite_version, 1)
    assert.ok(existsSync(join(repo.dir, 'site', 'index.html')))
    const results = await asof('--json', 'checkpoint', 'results', 'trips')
    assert.equal(results.status, 0, results.stderr)
    assert.deepEqual(JSON.parse(results.stdout).map((r: { success: boolean; batch: string }) => [r.success, r.batch]), [[true, 'file:trips.csv']])
    const list = await asof('checkpoint', 'list')
    assert.equal(list.status, 2) // broken.json is reported, with its field
    assert.match(list.stderr, /checkpoints\/broken\.json: validations\[0\]\.suite/)
  })

  it('bad names and bad input exit 2 with one message', async () => {
    const unknown = await asof('checkpoint', 'run', 'nope')
    assert.equal(unknown.status, 2)
    assert.match(unknown.stderr, /unknown checkpoint "nope"; known: bigger, broken, trips/)
    const bad = await asof('suite', 'profile', '--data', join(repo.dir, 'x.txt'), '--output', join(repo.dir, 'o.json'))
    assert.equal(bad.status, 2)
    assert.match(bad.stderr, /--data/)
  })

  it('stores, shows and deletes suites; builds data docs', async () => {
    const saved = await asof('suite', 'save', join(repo.dir, 'suite.json'), '--name', 'stored')
    assert.equal(saved.stdout.trim(), 'stored@1')
    const shown = await asof('suite', 'show', 'stored@1', '--gx0')
    assert.equal(JSON.parse(shown.stdout).expectation_suite_name, 'stored')
    assert.equal((await asof('suite', 'delete', 'stored')).status, 0)
    const docs = await asof('docs', 'build', '--output', join(repo.dir, 'docs-out'))
    assert.equal(docs.status, 0, docs.stderr)
    const index = readFileSync(join(repo.dir, 'docs-out', 'index.html'), 'utf8')
    assert.match(index, /checkpoint bigger/)
    assert.match(index, /checkpoint trips/)
  })
})
