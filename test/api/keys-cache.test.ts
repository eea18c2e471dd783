import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { ENGINES } from '../helpers/engines.js'
import { ApiKeys } from '../../src/keys/index.js'
import { startTestService, type TestService } from './helpers.js'

for (const engine of ENGINES) {
  describe(`${engine.kind}: API keys in memory`, { skip: engine.skip }, () => {
    let svc: TestService
    before(async () => { svc = await startTestService(engine) })
    after(async () => { await svc?.dispose() })

    it('asks the store about a wrong or revoked secret once, and about each new secret', async () => {
      const keys = new ApiKeys(svc.asof.metadata)
      const revoked = await keys.create('read')
      await keys.revoke(revoked.id)
      assert.equal(await keys.authenticate(revoked.secret), undefined)
      assert.equal(await keys.authenticate('asof_wrong'), undefined)
      // With the keys table gone, only what is remembered can still be answered.
      await sql`drop table api_keys`.execute(svc.asof.metadata.db)
      assert.equal(await keys.authenticate(revoked.secret), undefined)
      assert.equal(await keys.authenticate('asof_wrong'), undefined)
      await assert.rejects(keys.authenticate('asof_never_seen'), /api_keys/)
    })
  })
}
