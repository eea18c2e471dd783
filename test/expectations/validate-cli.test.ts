import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/engines.js'
import { writeDriverRepo } from '../api/helpers.js'
import { runAsof, spawnAsof, type CliProcess, type CliResult } from '../helpers/cli.js'

const work = tempDir('asof-validate-cli-')
const file = (name: string, text: string) => {
  const path = join(work.dir, name)
  writeFileSync(path, text)
  return path
}

/** Runs the real binary in `repo` (async, so the file-level tests run in parallel). */
function asofIn(repo: string, ...args: string[]): Promise<CliResult> {
  return runAsof(['--repo', repo, ...args])
}
const asof = (...args: string[]) => asofIn(work.dir, ...args)

const csv = file('trips.csv', 'driver_id,"conv rate",city\n1,0.5,Berlin\n2,0.7,Paris\n3,,Berlin\n4,1.5,Rome\n')
const jsonl = file('trips.jsonl', '{"driver_id":1,"city":"Berlin"}\n{"driver_id":2,"city":"Paris"}\n')
const passing = file('pass.json', JSON.stringify({
  expectation_suite_name: 'trips',
  expectations: [
    { expectation_type: 'expect_table_row_count_to_be_between', kwargs: { min_value: 1, max_value: 10 } },
    { expectation_type: 'expect_column_values_to_be_between', kwargs: { column: 'conv rate', min_value: 0, max_value: 2 } },
  ],
}))
// Python's json module writes bare NaN/Infinity; the failing expectation has severity warning in 0.x style too.
const failing = file('fail.json', `{"name": "trips", "expectations": [
  {"type": "expect_column_values_to_be_between", "kwargs": {"column": "conv rate", "min_value": 0, "max_value": 1, "mostly": 1.0}},
  {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "city", "value_set": ["Berlin", "Paris"]}, "severity": "warning"},
  {"type": "expect_column_max_to_be_between", "kwargs": {"column": "driver_id", "max_value": Infinity}}
]}`)
const warnOnly = file('warn.json', JSON.stringify({
  name: 'trips', expectations: [{ type: 'expect_column_values_to_be_in_set', kwargs: { column: 'city', value_set: ['Berlin'] }, severity: 'warning' }],
}))

describe('asof validate (real CLI)', () => {
  after(() => work.remove())

  it('exits 0 when a CSV passes, and prints a summary', async () => {
    const r = await asof('validate', '--suite', passing, '--data', csv)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /PASS +\[1\] expect_column_values_to_be_between \(conv rate\) 0 unexpected of 4/)
    assert.match(r.stdout, /passed: 2\/2/)
  })

  it('exits 1 on a critical failure and prints GX JSON with --json', async () => {
    const r = await asof('--json', 'validate', '--suite', failing, '--data', csv, '--result-format', 'COMPLETE')
    assert.equal(r.status, 1, r.stderr)
    const result = JSON.parse(r.stdout)
    assert.equal(result.success, false)
    assert.deepEqual(result.results.map((x: { status: string }) => x.status), ['fail', 'warn', 'pass'])
    assert.deepEqual(result.results[0].result.unexpected_list, [1.5])
    assert.deepEqual(result.results[1].result.unexpected_list, ['Rome'])
    assert.match(result.results[0].result.unexpected_index_query, /select .*"conv rate".* from "trips"/)
    assert.deepEqual(result.statistics, { evaluated_expectations: 3, successful_expectations: 1, unsuccessful_expectations: 2, success_percent: (1 / 3) * 100 })
  })

  it('exits 0 when only warning-severity expectations fail', async () => {
    const r = await asof('--json', 'validate', '--suite', warnOnly, '--data', csv)
    assert.equal(r.status, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).results[0].status, 'warn')
  })

  it('reads .jsonl and --sql batches; a column the batch lacks is an error on that expectation (exit 1)', async () => {
    const cities = file('cities.json', JSON.stringify({ name: 'c', expectations: [{ type: 'expect_column_values_to_not_be_null', kwargs: { column: 'city' } }] }))
    const [fromJsonl, fromSql, missing] = await Promise.all([
      asof('validate', '--suite', cities, '--data', jsonl),
      asof('--json', 'validate', '--suite', cities, '--sql', "select 'Berlin' as city union all select null"),
      asof('--json', 'validate', '--suite', passing, '--data', jsonl),
    ])
    assert.equal(fromJsonl.status, 0, fromJsonl.stderr)
    assert.equal(fromSql.status, 1, fromSql.stderr)
    assert.equal(JSON.parse(fromSql.stdout).results[0].result.unexpected_count, 1)
    assert.equal(missing.status, 1, missing.stderr)
    const error = JSON.parse(missing.stdout).results[1]
    assert.equal(error.status, 'error')
    assert.deepEqual([error.exception_info.index, error.exception_info.field], [1, 'column'])
  })

  it('exits 2 with one message on bad input', async () => {
    const cases: [string[], RegExp][] = [
      [['validate', '--suite', file('broken.json', '{"name": '), '--data', csv], /broken\.json: not valid JSON/],
      [['validate', '--suite', join(work.dir, 'missing.json'), '--data', csv], /missing\.json: no such suite file/],
      [['validate', '--suite', passing, '--data', file('x.txt', 'a')], /--data: cannot tell the format/],
      [['validate', '--suite', passing, '--data', join(work.dir, 'nope.csv')], /--data: .*no such file/],
      [['validate', '--suite', passing], /give exactly one batch/],
      [['validate', '--suite', passing, '--data', csv, '--result-format', 'VERBOSE'], /--result-format/],
      // GX's catch_exceptions: false lets the exception escape: the run fails with it, no result is printed
      [['--json', 'validate', '--suite', file('raises.json', JSON.stringify({ name: 'r', expectations: [
        { type: 'expect_column_values_to_not_be_null', kwargs: { column: 'no such column', catch_exceptions: false } }] })), '--data', csv],
      /expectations\[0\] \(expect_column_values_to_not_be_null\) raised, and catch_exceptions is false: column "no such column" is not in the batch/],
    ]
    const results = await Promise.all(cases.map(([args]) => asof(...args)))
    results.forEach((r, i) => {
      assert.equal(r.status, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, cases[i]![1])
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.equal(r.stdout, '')
    })
  })
})

describe('asof validate --source, and through a running asof serve (real processes)', () => {
  const repo = tempDir('asof-validate-source-')
  writeDriverRepo(repo.dir, Date.now())
  // the first describe's files are gone by now, and the repo reads its own *.json as definitions
  const suites = tempDir('asof-validate-suites-')
  const suite = join(suites.dir, 'driver.json')
  writeFileSync(suite, JSON.stringify({ name: 'driver', expectations: [
    { type: 'expect_table_row_count_to_equal', kwargs: { value: 4 } },
    { type: 'expect_column_values_to_be_between', kwargs: { column: 'conv_rate', min_value: 0, max_value: 0.5 } },
  ] }))
  let server: CliProcess | undefined
  after(() => { server?.kill(); repo.remove(); suites.remove() })

  it('validates a source of the feature repo by name; an unknown name is a bad input', async () => {
    // one at a time: each opens the repo's DuckDB file
    const ok = await asofIn(repo.dir, '--json', 'validate', '--suite', suite, '--source', 'driver_stats_source', '--result-format', 'COMPLETE')
    const unknown = await asofIn(repo.dir, 'validate', '--suite', suite, '--source', 'no_such_source')
    assert.equal(ok.status, 1, ok.stderr) // conv_rate 0.75 is above 0.5
    const result = JSON.parse(ok.stdout)
    assert.deepEqual(result.results.map((r: { success: boolean }) => r.success), [true, false])
    assert.deepEqual(result.results[1].result.unexpected_list, [0.75])
    assert.equal(result.meta.batch_spec.description, 'source:driver_stats_source')
    assert.equal(unknown.status, 2, unknown.stderr)
    assert.match(unknown.stderr, /no_such_source.*driver_stats_source/)
  })

  it('goes through the server when `asof serve` holds the embedded database', async () => {
    server = spawnAsof(['--repo', repo.dir, '--json', 'serve', '--port', '0'])
    const [line] = await server.waitFor(/^\{.*\}$/m)
    assert.ok(JSON.parse(line).url)
    // the server holds the DuckDB file: a run that opened it here would fail on the lock (exit 3)
    const [source, query] = await Promise.all([
      asofIn(repo.dir, '--json', 'validate', '--suite', suite, '--source', 'driver_stats_source'),
      asofIn(repo.dir, '--json', 'validate', '--suite', suite, '--sql', 'select 1001 as x, 0.25 as conv_rate union all select 1, 0 union all select 2, 0 union all select 3, 0'),
    ])
    assert.equal(source.status, 1, source.stderr)
    assert.equal(JSON.parse(source.stdout).results[1].result.unexpected_count, 1)
    assert.equal(query.status, 0, query.stderr)
    assert.equal(JSON.parse(query.stdout).results[0].result.observed_value, 4)
  })
})
