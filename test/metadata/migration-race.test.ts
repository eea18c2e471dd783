import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import pg from 'pg'
import { PostgresEngine } from '../../src/engines/index.js'
import { openMetadataStore } from '../../src/metadata/index.js'
import { dropSchema, newTestSchemaName, PG_SKIP_REASON, PG_URL } from '../helpers/engines.js'

describe('postgres: metadata migrations', { skip: PG_SKIP_REASON }, () => {
  it('bring a schema up to date while another process drops other schemas of the database', async () => {
    // kysely's migrator scans every schema's tables; another schema dropped during the scan
    // fails it (invalid_schema_name), as test suites and tenants drop theirs.
    const churn = new pg.Client({ connectionString: PG_URL })
    await churn.connect()
    let stop = false
    const churning = (async () => {
      for (let i = 0; !stop; i++) {
        const schema = `asof_churn_${process.pid}_${i}`
        await churn.query(`create schema ${schema}; create table ${schema}.t (a int, b int, c int)`)
        await churn.query(`drop schema ${schema} cascade`)
      }
    })()
    try {
      for (let i = 0; i < 15; i++) {
        const schema = newTestSchemaName()
        const engine = await PostgresEngine.open(PG_URL!, { schema })
        try {
          await assert.doesNotReject(openMetadataStore(engine))
        } finally {
          await engine.close()
          await dropSchema(schema)
        }
      }
    } finally {
      stop = true
      await churning
      await churn.end()
    }
  })
})
