import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connectAsof, isAsofError, openAsof, type AsofClient } from '../../src/client/index.js'
import { ApiKeys } from '../../src/keys/index.js'
import { ENGINES, tempDir, type TestEngine } from '../helpers/engines.js'
import { HOUR, freshPgDatabase, iso, startTestService, writeDriverRepo } from '../api/helpers.js'

/**
 * The client interface's two implementations agree: one scenario of what a user does, run
 * through `openAsof` (in process) and through `connectAsof` (a served asof, with an admin key),
 * gives the same transcript of answers and errors once the values that differ by nature (ids,
 * clocks, the repo's temp directory) are masked.
 */

// One clock for both sides, so the repos' data and the scenario's windows are the same.
const NOW = Math.floor(Date.now() / HOUR) * HOUR
const DAY = 24 * HOUR

function writeRepo(dir: string): void {
  writeDriverRepo(dir, NOW)
  mkdirSync(join(dir, 'suites'))
  mkdirSync(join(dir, 'checkpoints'))
  mkdirSync(join(dir, 'pipelines'))
  writeFileSync(join(dir, 'suites', 'driver_stats.json'), JSON.stringify(suite('driver_stats', 1)))
  writeFileSync(join(dir, 'checkpoints', 'driver_stats.json'), JSON.stringify({
    name: 'driver_stats', validations: [{ batch: { type: 'source', name: 'driver_stats_source' }, suite: { path: 'suites/driver_stats.json' } }],
  }))
  writeFileSync(join(dir, 'pipelines', 'nap.yaml'), [
    'name: nap',
    'params: { ms: 1 }',
    'tasks:',
    '  - { id: nap, uses: sleep, params: { ms: "{{ params.ms }}" }, cache: false }',
    '  - { id: done, uses: noop, depends_on: [nap], cache: false }',
    '',
  ].join('\n'))
}

function suite(name: string, minRows: number) {
  return {
    name,
    expectations: [
      { type: 'expect_table_row_count_to_be_between', kwargs: { min_value: minRows } },
      { type: 'expect_column_values_to_be_between', kwargs: { column: 'conv_rate', min_value: 0, max_value: 1 } },
      { type: 'expect_column_values_to_not_be_null', kwargs: { column: 'driver_id' } },
    ],
  }
}

type Step = { step: string; ok?: unknown; error?: { code: string; kind: string; message: string } }

/** What a user does, from applying the repo to reading a model; every answer and error is recorded. */
async function scenario(client: AsofClient): Promise<Step[]> {
  const steps: Step[] = []
  const record = async (step: string, call: () => Promise<unknown>) => {
    try {
      steps.push({ step, ok: await call() })
    } catch (e) {
      if (!isAsofError(e)) throw e
      steps.push({ step, error: { code: e.code, kind: e.kind, message: e.message } })
    }
  }
  const features = ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips']
  const entityRows = [
    { driver_id: 1001, event_timestamp: iso(NOW - 30 * DAY + 2 * HOUR) },
    { driver_id: 1001, event_timestamp: iso(NOW) },
    { driver_id: 1002, event_timestamp: iso(NOW) },
  ]

  await record('registry.plan', () => client.registry.plan())
  await record('registry.apply', () => client.registry.apply())
  await record('registry.apply again', () => client.registry.apply())
  await record('registry.list', () => client.registry.list({ kind: 'feature-views' }))
  await record('registry.get', () => client.registry.get({ kind: 'feature-views', name: 'driver_hourly_stats' }))
  await record('registry.versions', () => client.registry.versions({ kind: 'entities', name: 'driver' }))
  await record('registry.get unknown', () => client.registry.get({ kind: 'feature-views', name: 'driver_hourly_stat' }))
  await record('registry.list bad kind', () => client.registry.list({ kind: 'views' as 'entities' }))

  await record('historical.records', () => client.historical.records({ features, entity_rows: entityRows }))
  await record('historical.records from file', () => client.historical.records({ feature_service: 'driver_activity', entity_file: 'entities.csv' }))
  await record('historical.table', async () => {
    const table = await client.historical.table({ features, entity_rows: entityRows, full_feature_names: true })
    return { columns: table.schema.fields.map((f) => `${f.name}: ${f.type}`), rows: table.toArray().map((r) => Object.fromEntries(Object.entries(r.toJSON()).map(([k, v]) => [k, typeof v === 'bigint' ? `${v}n` : v]))) }
  })
  await record('historical.batches', async () => {
    let rows = 0
    for await (const batch of client.historical.batches({ features, entity_rows: entityRows })) rows += batch.numRows
    return rows
  })
  await record('historical.records both selections', () => client.historical.records({ features, feature_service: 'driver_activity', entity_rows: entityRows }))
  await record('historical.records unknown feature', () => client.historical.records({ features: ['driver_hourly_stats:conv_rat'], entity_rows: entityRows }))

  await record('online.materialize', () => client.online.materialize({ start: iso(NOW - 40 * DAY), end: iso(NOW) }))
  await record('online.runs', () => client.online.runs({ view: 'driver_hourly_stats' }))
  await record('online.get', () => client.online.get({ features, entities: { driver_id: [1001, 1002, 9999] } }))
  await record('online.push', () => client.online.push({
    push_source_name: 'driver_stats_source', to: 'online',
    df: { driver_id: [1002], conv_rate: [0.875], avg_daily_trips: [7], event_timestamp: [iso(NOW)] },
  }))
  await record('online.get after push', () => client.online.get({ features, entities: { driver_id: [1002] } }))
  await record('online.materialize bad window', () => client.online.materialize({ start: 'yesterday', end: iso(NOW) }))

  await record('suites.create', () => client.suites.create({ suite: suite('checks', 1) }))
  await record('suites.save changed', () => client.suites.save({ name: 'checks', suite: suite('checks', 2) }))
  await record('suites.save unchanged', () => client.suites.save({ name: 'checks', suite: suite('checks', 2) }))
  await record('suites.versions', () => client.suites.versions({ name: 'checks' }))
  await record('suites.get version 1', () => client.suites.get({ name: 'checks', version: 1 }))
  await record('suites.list', () => client.suites.list())
  await record('validation.validate records', () => client.validation.validate({ suite_name: 'checks', records: [{ driver_id: 1, conv_rate: 0.5 }, { driver_id: 2, conv_rate: 1.5 }] }))
  await record('validation.validate file', () => client.validation.validate({ suite: suite('inline', 3), batch: { type: 'file', path: 'data/driver_stats.csv' } }))
  await record('validation.validate unknown suite', () => client.validation.validate({ suite_name: 'chekcs', records: [{ driver_id: 1 }] }))

  await record('checkpoints.list', () => client.checkpoints.list())
  await record('checkpoints.run', () => client.checkpoints.run({ name: 'driver_stats' }))
  await record('checkpoints.results', () => client.checkpoints.results({ checkpoint: 'driver_stats' }))
  await record('checkpoints.metricHistory', () => client.checkpoints.metricHistory({ metric: 'table.row_count', checkpoint: 'driver_stats' }))
  await record('checkpoints.metricHistory bad since', () => client.checkpoints.metricHistory({ metric: 'table.row_count', since: 'notadate' }))
  await record('checkpoints.run unknown', () => client.checkpoints.run({ name: 'driver_stat' }))

  await record('pipelines.list', () => client.pipelines.list())
  await record('pipelines.run', () => client.pipelines.run({ name: 'nap', params: { ms: 5 }, logical_date: '2026-05-01' }))
  await record('pipelines.run unknown param', () => client.pipelines.run({ name: 'nap', params: { sm: 5 }, logical_date: '2026-05-02' }))
  await record('pipelines.runs', () => client.pipelines.runs({ pipeline: 'nap' }))

  await record('models.list', () => client.models.list())
  await record('models.get unknown', () => client.models.get({ name: 'driver_model' }))
  return steps
}

const GENERATED_ID = /^([a-z]+_)?[0-9a-z]{20,}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** Keys whose values are clocks or durations: they differ between any two runs. */
const CLOCK_KEY = /(_at|_time|started|ended|heartbeat|duration_ms|elapsed_ms|run_time|time)$/

/** The transcript with what differs between two runs by nature replaced by placeholders. */
function masked(value: unknown, repoDir: string, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => masked(v, repoDir))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v, repoDir, k)]))
  }
  if (typeof value !== 'string') return CLOCK_KEY.test(key) && typeof value === 'number' ? '<clock>' : value
  if (CLOCK_KEY.test(key)) return '<clock>'
  if (GENERATED_ID.test(value) || key === 'id' || key.endsWith('_id') && !key.startsWith('driver')) return '<id>'
  // Inline records are validated from a temporary file.
  return value.split(repoDir).join('<repo>').replace(/asof-validate-[^/]+/, 'asof-validate-<tmp>')
}

async function transcript(engine: TestEngine, through: 'in process' | 'over HTTP'): Promise<unknown> {
  if (through === 'over HTTP') {
    const svc = await startTestService(engine, { writeRepo })
    try {
      const { secret } = await new ApiKeys(svc.asof.metadata).create('admin', 'conformance')
      const client = connectAsof(svc.url, { apiKey: secret })
      return masked(await scenario(client), svc.asof.config.repoDir)
    } finally {
      await svc.dispose()
    }
  }
  const { dir, remove } = tempDir('asof-client-')
  const database = engine.kind === 'postgres' ? await freshPgDatabase() : undefined
  try {
    writeRepo(dir)
    const client = await openAsof({ repo: dir, databaseUrl: database?.url, logLevel: 'silent' })
    try {
      return masked(await scenario(client), dir)
    } finally {
      await client.close()
    }
  } finally {
    await database?.drop()
    remove()
  }
}

for (const engine of ENGINES) {
  describe(`${engine.kind}: openAsof and connectAsof agree`, { skip: engine.skip }, () => {
    it('gives the same answers and the same errors for one scenario', async () => {
      const local = await transcript(engine, 'in process')
      const remote = await transcript(engine, 'over HTTP')
      const steps = local as Step[]
      // The scenario means something only if it got far: most steps answered, and the errors are the intended ones.
      assert.ok(steps.filter((s) => s.ok !== undefined).length >= 30, JSON.stringify(steps.filter((s) => s.error), null, 1))
      for (const s of steps) assert.equal(s.error !== undefined, /unknown|bad|both/.test(s.step), `${s.step}: ${JSON.stringify(s.error ?? s.ok).slice(0, 400)}`)
      assert.deepEqual(remote, local)
    })
  })
}
