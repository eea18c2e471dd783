import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { isAsofError } from '../../src/core/index.js'
import { ENGINES } from '../helpers/engines.js'
import { buildPitWorld, canonicalRows, type ViewFixture } from './pit-fixture.js'

/** The shared point-in-time cases, read from ../shared/conformance/pit next to the repo. */
const CASES_DIR = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'conformance', 'pit', 'cases')

interface PitCase {
  id: string
  description: string
  feature_views: ViewFixture[]
  entity_rows: Record<string, unknown>[]
  features: string[]
  full_feature_names?: boolean
  event_timestamp_column?: string
  filter_by_created_timestamp?: boolean
  expected_columns?: string[]
  expected_rows?: Record<string, unknown>[]
  expected_error?: string
}

const cases: PitCase[] = existsSync(CASES_DIR)
  ? readdirSync(CASES_DIR).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(CASES_DIR, f), 'utf8')) as PitCase)
  : []
if (!cases.length) console.log(`# ${CASES_DIR} is absent: point-in-time conformance cases skipped`)

for (const testEngine of ENGINES) {
  describe(`${testEngine.kind}: point-in-time conformance`, { skip: testEngine.skip }, () => {
    for (const c of cases) {
      it(`${c.id}: ${c.description}`, async () => {
        // A view with join_key_map is requested through a feature service, the only place the mapping can be said.
        const mapped = c.feature_views.some((v) => v.join_key_map && Object.keys(v.join_key_map).length)
        const service = mapped ? {
          name: 'conformance_service',
          entries: c.feature_views.map((v) => ({
            view: v.name,
            features: c.features.filter((r) => r.startsWith(`${v.name}:`)).map((r) => r.split(':')[1]),
            join_key_map: v.join_key_map ?? {},
          })).filter((e) => e.features.length),
        } : undefined
        const isExpectedError = (e: unknown) => isAsofError(e) && e.kind === 'bad_input'
        let world: Awaited<ReturnType<typeof buildPitWorld>>
        try {
          world = await buildPitWorld(testEngine, c.feature_views, service)
        } catch (e) {
          // Some invalid requests are invalid definitions (a feature named like a join key), caught at apply.
          if (c.expected_error && isExpectedError(e)) return
          throw e
        }
        try {
          const request = {
            ...(service ? { featureService: service.name } : { features: c.features }),
            fullFeatureNames: c.full_feature_names ?? false,
            timestampColumn: c.event_timestamp_column,
            filterByCreatedTimestamp: c.filter_by_created_timestamp ?? false,
            entities: { kind: 'rows' as const, rows: c.entity_rows },
          }
          if (c.expected_error) {
            await assert.rejects(world.store.historical(request), isExpectedError)
            return
          }
          const result = await world.store.historical(request)
          assert.deepEqual(result.columns.map((col) => col.name), c.expected_columns)
          const tsColumns = result.columns.filter((col) => col.type === 'timestamp').map((col) => col.name)
          assert.deepEqual(canonicalRows(result.rows, tsColumns), canonicalRows(c.expected_rows!, tsColumns))
        } finally {
          await world.dispose()
        }
      })
    }
  })
}
