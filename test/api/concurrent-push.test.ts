import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ENGINES } from '../helpers/engines.js'
import { ApiKeys } from '../../src/keys/index.js'
import { loadConfig } from '../../src/core/index.js'
import { composeAsof } from '../../src/asof.js'
import { encodeEntityKey } from '../../src/featurestore/online/keys.js'
import { openOnlineStore } from '../../src/featurestore/online/open-online-store.js'
import { bearer, call, startTestService, type TestService } from './helpers.js'

/** Two online views of one push source, so that every push touches both. */
function writeRepo(dir: string): void {
  mkdirSync(join(dir, 'data'))
  writeFileSync(join(dir, 'asof.yaml'), 'project: push_race\n')
  writeFileSync(join(dir, 'data', 'stats.csv'), 'driver_id,conv_rate,trips,event_timestamp\n')
  writeFileSync(join(dir, 'repo.yaml'), `
entities:
  - {name: driver, join_keys: [driver_id]}
sources:
  - {name: stats, kind: file, path: data/stats.csv, timestamp_field: event_timestamp}
feature_views:
  - {name: rates, entities: [driver], source: stats, online: true, schema: [{name: conv_rate, dtype: float64}, {name: trips, dtype: int64}]}
  - {name: trips, entities: [driver], source: stats, online: true, schema: [{name: trips, dtype: int64}]}
`)
}

const CLIENTS = 20
const PUSHES_PER_CLIENT = 3
const DRIVERS = Array.from({ length: 12 }, (_, i) => 1001 + i)
/** Three event times only, so most (driver, time) pairs are pushed by several clients at once. */
const TIMES = ['2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z']

interface Pushed { driver: number; ts: string; conv_rate: number; trips: number }

/** A deterministic pseudo-random sequence (the test is the same every run). */
function random(seed: number): () => number {
  let s = seed
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/**
 * What must be stored for one view: per driver, the newest event timestamp; among rows of that
 * timestamp, the one whose features' JSON text is greatest (the documented tie-break).
 */
function expected(rows: readonly Pushed[], features: (r: Pushed) => (number)[]): Map<number, number[]> {
  const best = new Map<number, { ts: string; json: string; values: number[] }>()
  for (const r of rows) {
    const values = features(r)
    const json = JSON.stringify(values)
    const held = best.get(r.driver)
    if (!held || r.ts > held.ts || (r.ts === held.ts && json > held.json)) best.set(r.driver, { ts: r.ts, json, values })
  }
  return new Map([...best].map(([d, b]) => [d, b.values]))
}

for (const engine of ENGINES) {
  describe(`${engine.kind}: ${CLIENTS} concurrent pushes with overlapping keys`, { skip: engine.skip }, () => {
    let svc: TestService
    let write: Record<string, string>
    before(async () => {
      svc = await startTestService(engine, { writeRepo })
      write = bearer((await new ApiKeys(svc.asof.metadata).create('write')).secret)
      const applied = await call(svc.url, 'POST', '/api/v1/apply', { headers: write })
      assert.equal(applied.status, 200, applied.text)
    })
    after(async () => { await svc?.dispose() })

    it('all succeed, each atomic across both views, and the newest row (then the greatest value) wins everywhere', async () => {
      const next = random(14)
      const pushed: Pushed[] = []
      const bodies = Array.from({ length: CLIENTS }, (_, client) => Array.from({ length: PUSHES_PER_CLIENT }, () => {
        const rows = shuffled(DRIVERS, next).map((driver) => ({
          driver, ts: TIMES[Math.floor(next() * TIMES.length)]!, conv_rate: Math.round(next() * 1000) / 1000, trips: client,
        }))
        pushed.push(...rows)
        return {
          push_source_name: 'stats', to: 'online',
          df: { driver_id: rows.map((r) => r.driver), conv_rate: rows.map((r) => r.conv_rate), trips: rows.map((r) => r.trips), event_timestamp: rows.map((r) => r.ts) },
        }
      }))
      // Every client its own sequence of pushes, all clients at once over real HTTP.
      const answers = await Promise.all(bodies.map(async (pushes) => {
        const statuses: string[] = []
        for (const body of pushes) {
          const r = await call(svc.url, 'POST', '/push', { body, headers: write })
          statuses.push(r.status === 200 ? '200' : `${r.status} ${r.text}`)
        }
        return statuses
      }))
      assert.deepEqual(answers.flat().filter((s) => s !== '200'), [])

      const want = {
        rates: expected(pushed, (r) => [r.conv_rate, r.trips]),
        trips: expected(pushed, (r) => [r.trips]),
      }
      const served = await call(svc.url, 'POST', '/get-online-features', {
        body: { features: ['rates:conv_rate', 'rates:trips', 'trips:trips'], entities: { driver_id: DRIVERS }, full_feature_names: true },
        headers: write,
      })
      assert.equal(served.status, 200, served.text)
      const [, conv, rateTrips, trips] = served.json.results.map((c: { values: number[] }) => c.values)
      assert.deepEqual(DRIVERS.map((d, i) => [conv[i], rateTrips[i]]), DRIVERS.map((d) => want.rates.get(d)))
      assert.deepEqual(DRIVERS.map((d, i) => [trips[i]]), DRIVERS.map((d) => want.trips.get(d)))

      // What is stored (a fresh store reads the table, as after a restart), and what another
      // replica serves (server mode: a second asof on the same database), agree with the cache.
      const fresh = openOnlineStore(svc.asof.metadata, 'push_race')
      const keys = DRIVERS.map((d) => encodeEntityKey([d]))
      const stored = await fresh.read([{ ref: { view: 'rates', version: 1 }, keys }, { ref: { view: 'trips', version: 1 }, keys }])
      await fresh.close()
      assert.deepEqual(stored[0]!.map((v) => v?.values), DRIVERS.map((d) => want.rates.get(d)))
      assert.deepEqual(stored[1]!.map((v) => v?.values), DRIVERS.map((d) => want.trips.get(d)))
      if (engine.kind === 'postgres') {
        const replica = await composeAsof(loadConfig({ repoDir: svc.repoDir, databaseUrl: svc.asof.config.databaseUrl, logLevel: 'silent' }, {}))
        try {
          const answer = await replica.online.getOnlineFeatures({ features: ['rates:conv_rate', 'rates:trips'], entities: { driver_id: DRIVERS } })
          assert.deepEqual(DRIVERS.map((d, i) => [answer.results[1]!.values[i], answer.results[2]!.values[i]]), DRIVERS.map((d) => want.rates.get(d)))
        } finally {
          await replica.close()
        }
      }
    })
  })
}
