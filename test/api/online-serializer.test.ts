import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { serializeOnlineResponse } from '../../src/api/routes/online-routes.js'

const status = fc.constantFrom('PRESENT', 'NOT_FOUND', 'OUTSIDE_MAX_AGE') as fc.Arbitrary<'PRESENT' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE'>
const value = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }))

describe('serializeOnlineResponse', () => {
  it('writes exactly what JSON.stringify writes, with views sharing their status and timestamp arrays', () => {
    const response = fc.integer({ min: 0, max: 6 }).chain((rows) => {
      const column = <T>(a: fc.Arbitrary<T>) => fc.array(a, { minLength: rows, maxLength: rows })
      const view = fc.record({
        statuses: column(status),
        timestamps: column(fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
        features: fc.array(column(value), { minLength: 1, maxLength: 4 }),
      })
      return fc.record({ keys: column(fc.integer()), views: fc.array(view, { minLength: 1, maxLength: 4 }) })
    }).map(({ keys, views }) => {
      const names = ['driver_id']
      const results = [{ values: keys as unknown[], statuses: keys.map(() => 'PRESENT'), event_timestamps: keys.map(() => '1970-01-01T00:00:00Z') }]
      views.forEach((v, i) => v.features.forEach((values, f) => {
        names.push(`v${i}__f${f}`)
        // the same array objects for every feature of a view, as the online service answers
        results.push({ values, statuses: v.statuses, event_timestamps: v.timestamps })
      }))
      return { metadata: { feature_names: names }, results } as Parameters<typeof serializeOnlineResponse>[0]
    })
    fc.assert(fc.property(response, (r) => assert.equal(serializeOnlineResponse(r), JSON.stringify(r))), { numRuns: 300 })
  })

  it('writes bigints as numbers when they fit a double and as strings otherwise', () => {
    const response = { metadata: { feature_names: ['id'] }, results: [{ values: [1n, 2n ** 64n], statuses: ['PRESENT' as const, 'PRESENT' as const], event_timestamps: ['a', 'b'] }] }
    assert.deepEqual(JSON.parse(serializeOnlineResponse(response)).results[0].values, [1, '18446744073709551616'])
  })
})
