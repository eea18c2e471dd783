import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { ENGINES, tempDir } from '../helpers/engines.js'
import { ApiKeys } from '../../src/keys/index.js'
import { METADATA_TABLES } from '../../src/expectations/index.js'
import { HOUR, bearer, call, iso, startTestService, writeDriverRepo, type TestService } from './helpers.js'

/** The probe: every value of a column "unexpected", so COMPLETE lists them all back. */
const leakSuite = (column: string) => ({
  name: 'leak', expectations: [{ type: 'expect_column_values_to_be_in_set', kwargs: { column, value_set: [] } }],
})
const sqlCheckSuite = {
  name: 'sql_check', expectations: [{ type: 'expect_query_results_to_be_all_true', kwargs: { query: 'select count(*) > 0 from {batch}' } }],
}

for (const engine of ENGINES) {
  describe(`${engine.kind}: least privilege`, { skip: engine.skip }, () => {
    let svc: TestService
    const secrets = { read: '', write: '', sql: '', admin: '' }
    const validate = (scope: keyof typeof secrets, body: unknown) => call(svc.url, 'POST', '/api/v1/validate', { headers: bearer(secrets[scope]), body })
    before(async () => {
      const now = Date.now()
      svc = await startTestService(engine, {
        writeRepo: (dir) => {
          writeDriverRepo(dir, now)
          // A link inside the repo to a file outside it, named like an entity file.
          symlinkSync('/etc/passwd', join(dir, 'linked_entities.csv'))
        },
      })
      const keys = new ApiKeys(svc.asof.metadata)
      for (const scope of ['read', 'write', 'sql', 'admin'] as const) secrets[scope] = (await keys.create(scope, scope)).secret
      await svc.asof.featureStore.apply()
      await svc.asof.online.materialize(iso(now - 10 * 24 * HOUR), iso(now))
      await call(svc.url, 'POST', '/api/v1/model-webhooks', { headers: bearer(secrets.admin), body: { url: 'http://127.0.0.1:9/hook', events: ['model_version.created'], secret: 'whsec_do_not_leak' } })
      // A user table beside the metadata, the legitimate table batch.
      const userEngine = svc.asof.postgres ?? svc.asof.duckdb
      await userEngine.execute(sql`create table trips (fare double precision)`)
      await userEngine.execute(sql`insert into trips values (1.5), (2.5)`)
    })
    after(async () => { await svc?.dispose() })

    it('names every table the metadata store has among those never validated', async () => {
      const engine = svc.asof.metadata.engine
      const tables = await engine.query<{ table_name: string }>(sql`select table_name from information_schema.tables where table_schema = current_schema() and table_name <> 'trips'`)
      assert.ok(tables.length >= 20)
      assert.deepEqual(tables.map((t) => t.table_name).filter((t) => !METADATA_TABLES.has(t)), [])
    })

    it('refuses metadata tables as batches, however they are spelled, for every scope', async () => {
      const spellings = [
        { name: 'model_webhooks' }, { name: 'API_KEYS' }, { name: '"api_keys"' }, { name: 'Model_Webhooks' },
        { name: 'api_keys', schema: svc.asof.postgres ? 'public' : 'main' }, { name: 'public.api_keys' }, { name: ' api_keys ' },
        { name: 'pg_authid', schema: 'pg_catalog' }, { name: 'duckdb_settings' },
      ]
      for (const scope of ['write', 'admin'] as const) {
        for (const table of spellings) {
          const r = await validate(scope, { suite: leakSuite('secret'), batch: { type: 'table', ...table }, result_format: 'COMPLETE' })
          assert.equal(r.status, 403, `${scope} ${JSON.stringify(table)}: ${r.text.slice(0, 300)}`)
          assert.doesNotMatch(r.text, /whsec_do_not_leak|[0-9a-f]{64}/)
        }
      }
      const ok = await validate('write', { suite: leakSuite('fare'), batch: { type: 'table', name: 'trips' }, result_format: 'COMPLETE' })
      assert.equal(ok.status, 200, ok.text)
      assert.equal(ok.json.success, false)
      assert.deepEqual(ok.json.results[0].result.partial_unexpected_list.sort(), [1.5, 2.5])
    })

    it('reads files only under the repo or a data root, after resolving symlinks', async () => {
      for (const path of ['/etc/passwd', '../../../../etc/passwd', 'linked_entities.csv']) {
        const r = await validate('admin', { suite: leakSuite('root'), batch: { type: 'file', path, format: 'csv' }, result_format: 'COMPLETE' })
        assert.equal(r.status, 403, `${path}: ${r.text}`)
        assert.doesNotMatch(r.text, /root:/)
      }
      const ok = await validate('write', { suite: leakSuite('driver_id'), batch: { type: 'file', path: 'data/driver_stats.csv' } })
      assert.equal(ok.status, 200, ok.text)
    })

    it('refuses an entity file that links out of the repo without echoing its contents', async () => {
      const body = (entity_file: string) => ({ features: ['driver_hourly_stats:conv_rate'], entity_file })
      for (const path of ['linked_entities.csv', '/etc/passwd']) {
        const r = await call(svc.url, 'POST', '/api/v1/historical-features', { headers: bearer(secrets.admin), body: body(path) })
        assert.equal(r.status, 403, `${path}: ${r.text}`)
        assert.doesNotMatch(r.text, /root:/)
      }
      // Not a table of entity rows: the error names the file, not its first line.
      writeFileSync(join(svc.repoDir, 'notes.csv'), 'secret line one\n')
      const bad = await call(svc.url, 'POST', '/api/v1/historical-features', { headers: bearer(secrets.read), body: body('notes.csv') })
      assert.ok(bad.status >= 400 && bad.status < 500, bad.text)
      assert.doesNotMatch(bad.text, /secret line one/)
      const ok = await call(svc.url, 'POST', '/api/v1/historical-features', { headers: bearer(secrets.read), body: body('entities.csv') })
      assert.equal(ok.status, 200, ok.text)
      assert.equal(ok.json[0].driver_id, 1001)
    })

    it('needs the sql scope for query batches, SQL checks and entity queries', async () => {
      const probes = svc.asof.postgres
        ? ["select pg_read_file('/etc/passwd') as root", "select lo_export(lo_from_bytea(0, 'x'), '/tmp/asof-escaped') as root"]
        : ["select * from read_text('/etc/passwd')", "select 1 as root"]
      for (const text of probes) {
        const r = await validate('write', { suite: leakSuite('root'), batch: { type: 'query', sql: text }, result_format: 'COMPLETE' })
        assert.equal(r.status, 403, r.text)
        assert.match(r.json.detail, /scope sql/)
        assert.doesNotMatch(r.text, /root:/)
      }
      const check = await validate('write', { suite: sqlCheckSuite, batch: { type: 'file', path: 'data/driver_stats.csv' } })
      assert.equal(check.status, 403, check.text)
      const store = await call(svc.url, 'POST', '/api/v1/suites', { headers: bearer(secrets.write), body: sqlCheckSuite })
      assert.equal(store.status, 403, store.text)
      const entityQuery = { features: ['driver_hourly_stats:conv_rate'], entity_query: `select 1001 as driver_id, cast('${iso(Date.now())}' as timestamp) as event_timestamp` }
      const eq = await call(svc.url, 'POST', '/api/v1/historical-features', { headers: bearer(secrets.write), body: entityQuery })
      assert.equal(eq.status, 403, eq.text)

      // The same requests with the sql scope (and admin, which includes it).
      const query = await validate('sql', { suite: leakSuite('fare'), batch: { type: 'query', sql: 'select 1.5 as fare' } })
      assert.equal(query.status, 200, query.text)
      assert.equal((await validate('admin', { suite: sqlCheckSuite, batch: { type: 'file', path: 'data/driver_stats.csv' } })).json.success, true)
      assert.equal((await call(svc.url, 'POST', '/api/v1/suites', { headers: bearer(secrets.sql), body: sqlCheckSuite })).status, 201)
      const eqOk = await call(svc.url, 'POST', '/api/v1/historical-features', { headers: bearer(secrets.sql), body: entityQuery })
      assert.equal(eqOk.status, 200, eqOk.text)
      // A write key may still validate the stored suite? No: it carries SQL, so it needs the scope too.
      assert.equal((await validate('write', { suite_name: 'sql_check', batch: { type: 'file', path: 'data/driver_stats.csv' } })).status, 403)
    })

    it('never returns webhook secrets or key hashes', async () => {
      const hooks = await call(svc.url, 'GET', '/api/v1/model-webhooks', { headers: bearer(secrets.admin) })
      assert.equal(hooks.status, 200, hooks.text)
      assert.equal(hooks.json.webhooks.length, 1)
      const keys = await call(svc.url, 'GET', '/api/v1/keys', { headers: bearer(secrets.admin) })
      assert.equal(keys.json.keys.length, 4)
      for (const text of [hooks.text, keys.text]) {
        assert.doesNotMatch(text, /whsec_do_not_leak|secret_hash|[0-9a-f]{64}/)
      }
    })
  })
}

describe('data roots (ASOF_DATA_ROOTS)', () => {
  let svc: TestService
  let root: ReturnType<typeof tempDir>
  before(async () => {
    root = tempDir('asof-data-root-')
    writeFileSync(join(root.dir, 'trips.csv'), 'fare\n1.5\n')
    symlinkSync('/etc/passwd', join(root.dir, 'passwd.csv'))
    svc = await startTestService(ENGINES[0]!, { allowOpen: true, env: { ASOF_DATA_ROOTS: `/nonexistent:${root.dir}` }, writeRepo: (dir) => writeDriverRepo(dir, Date.now()) })
  })
  after(async () => { await svc?.dispose(); root?.remove() })

  it('reads files under a data root, and still no link out of it', async () => {
    const validate = (path: string) => call(svc.url, 'POST', '/api/v1/validate', { body: { suite: leakSuite('fare'), batch: { type: 'file', path } } })
    const ok = await validate(join(root.dir, 'trips.csv'))
    assert.equal(ok.status, 200, ok.text)
    const out = await validate(join(root.dir, 'passwd.csv'))
    assert.equal(out.status, 403, out.text)
    assert.doesNotMatch(out.text, /root:/)
  })
})
