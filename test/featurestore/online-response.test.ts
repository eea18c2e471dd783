import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { Value } from '../../src/engines/index.js'
import { encodeFeatureValues, featureValueBounds } from '../../src/featurestore/online/keys.js'
import { getOnlineFeaturesRequestSchema, onlineResponse, onlineResponseJson, parseOnlineRequest, type FieldStatus, type OnlineAnswer, type OnlinePlan } from '../../src/featurestore/online/online-features.js'
import { StoredValue } from '../../src/featurestore/online/online-store.js'

const status = fc.constantFrom<FieldStatus>('PRESENT', 'NOT_FOUND', 'OUTSIDE_MAX_AGE')
// Strings with quotes, commas, brackets and backslashes are what a splitter gets wrong.
const tricky = fc.string({ unit: fc.constantFrom('"', ',', '[', ']', '{', '}', '\\', 'a', 'é', '\n', '\u2028') })
const value: fc.Arbitrary<Value> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.string(), tricky, fc.boolean(), fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }), fc.array(tricky, { maxLength: 3 }),
) as fc.Arbitrary<Value>
const micros = fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
  .chain((d) => fc.integer({ min: 0, max: 999 }).map((us) => d.getTime() * 1000 + us))

/** A random answer: rows of one key column, views of 1–4 features, rows found or not (some stored rows shorter than the schema). */
const answer: fc.Arbitrary<OnlineAnswer> = fc.integer({ min: 0, max: 6 }).chain((rows) => {
  const view = fc.integer({ min: 1, max: 4 }).chain((width) => fc.record({
    width: fc.constant(width),
    stored: fc.array(fc.option(fc.record({ values: fc.array(value, { minLength: width - 1, maxLength: width }), ts: micros }), { nil: undefined }), { minLength: rows, maxLength: rows }),
    statuses: fc.array(status, { minLength: rows, maxLength: rows }),
  }))
  return fc.record({
    keys: fc.array(fc.integer(), { minLength: rows, maxLength: rows }), views: fc.array(view, { minLength: 1, maxLength: 4 }), shuffle: fc.boolean(),
    // Edge shapes: no key column (views without entities, no rows), no features.
    keyless: fc.boolean().map((b) => b && rows === 0), featureless: fc.double({ min: 0, max: 1, noNaN: true }).map((x) => x < 0.1),
  })
}).map(({ keys, views, shuffle, keyless, featureless }) => {
  let features = featureless ? [] : views.flatMap((v, i) => Array.from({ length: v.width }, (_, f) => ({ name: `v${i}__f${f}`, view: i, valueIndex: f })))
  if (shuffle) features = [...features].reverse() // request order need not follow the views
  const entityColumns = keyless ? [] : ['driver_id']
  const plan: OnlinePlan = {
    entityColumns,
    views: views.map((_, i) => ({ ref: { view: `v${i}`, version: 1 }, entityColumns: ['driver_id'], ttlMicros: 0 })),
    features,
    featureNames: [...entityColumns, ...features.map((f) => f.name)],
  }
  return {
    plan,
    entities: (keyless ? {} : { driver_id: keys }) as Record<string, Value[]>,
    rowCount: keys.length,
    views: views.map((v) => ({
      stored: v.stored.map((s) => (s ? StoredValue.fromJson(encodeFeatureValues(s.values), s.ts, null) : undefined)),
      statuses: v.statuses,
    })),
  }
})

describe('online response rendering', () => {
  it('writes as JSON exactly what JSON.stringify writes of the response object', () => {
    fc.assert(fc.property(answer, (a) => assert.equal(onlineResponseJson(a).toString(), JSON.stringify(onlineResponse(a)))), { numRuns: 500 })
  })

  it('shares each view\'s statuses and timestamps among its features in the response object', () => {
    const a = fc.sample(answer.filter((x) => x.plan.features.length > 1 && x.plan.views.length === 1), 1)[0]!
    const [first, second] = onlineResponse(a).results.slice(a.plan.entityColumns.length)
    assert.equal(first!.statuses, second!.statuses)
    assert.equal(first!.event_timestamps, second!.event_timestamps)
  })

  it('finds the UTF-8 bytes of each value in stored feature values', () => {
    fc.assert(fc.property(fc.array(fc.jsonValue()), (values) => {
      const bytes = Buffer.from(JSON.stringify(values))
      const bounds = featureValueBounds(bytes)
      const parts = bounds.slice(1).map((end, k) => bytes.subarray(bounds[k]! + 1, end).toString())
      assert.deepEqual(parts, values.map((v) => JSON.stringify(v)))
    }), { numRuns: 500 })
  })

  it('writes bigint join keys as numbers when they fit a double and as strings otherwise', () => {
    const plan: OnlinePlan = { entityColumns: ['id'], views: [], features: [], featureNames: ['id'] }
    const json = onlineResponseJson({ plan, entities: { id: [1n, 2n ** 64n] }, rowCount: 2, views: [] })
    assert.deepEqual(JSON.parse(json.toString()).results[0].values, [1, '18446744073709551616'])
  })
})

describe('online request parsing', () => {
  const name = fc.constantFrom('driver_id', 'trip_id', 'v:f', '', 'constructor')
  const entities = fc.integer({ min: 0, max: 3 }).chain((rows) => fc.dictionary(name, fc.array(fc.oneof(fc.integer(), fc.string(), fc.constant(null)), { minLength: rows, maxLength: rows }), { maxKeys: 3, noNullPrototype: true }))
  const wellFormed = fc.record({
    selection: fc.oneof(fc.record({ features: fc.array(name, { minLength: 1, maxLength: 3 }) }), fc.record({ feature_service: name })),
    entities,
    full_feature_names: fc.option(fc.boolean(), { nil: undefined }),
  }).map(({ selection, ...rest }) => ({ ...selection, ...rest }))
  /** Every field also given a wrong type, length or presence. */
  const malformed = fc.record({
    features: fc.oneof(fc.array(name, { maxLength: 3 }), fc.constant(undefined), fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 2 }), fc.string()),
    feature_service: fc.oneof(fc.constant(undefined), name, fc.integer()),
    entities: fc.oneof(entities, fc.dictionary(name, fc.array(fc.integer()), { maxKeys: 3 }), fc.array(fc.array(fc.integer())), fc.constant(null), fc.dictionary(name, fc.integer(), { maxKeys: 2 })),
    full_feature_names: fc.oneof(fc.constant(undefined), fc.boolean(), fc.constant('yes')),
    extra: fc.oneof(fc.constant(undefined), fc.integer()),
  }, { requiredKeys: [] })
  const withoutUndefined = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))

  it('accepts exactly what the schema accepts, with the same result, and takes well-formed requests as they are', () => {
    let asTheyAre = 0
    fc.assert(fc.property(fc.oneof(wellFormed, malformed, fc.jsonValue()), (raw) => {
      const byZod = getOnlineFeaturesRequestSchema.safeParse(raw)
      let parsed: { entities: unknown }
      try {
        parsed = parseOnlineRequest(raw)
      } catch (e) {
        assert.equal(byZod.success, false, `refused what the schema accepts: ${JSON.stringify(raw)} (${String(e)})`)
        return
      }
      assert.ok(byZod.success, `accepted what the schema refuses: ${JSON.stringify(raw)}`)
      assert.deepEqual(withoutUndefined(parsed), withoutUndefined(byZod.data))
      // zod copies what it parses; the structural check hands the request's own objects on.
      if (parsed.entities === (raw as { entities: unknown }).entities) asTheyAre++
    }), { numRuns: 3000 })
    assert.ok(asTheyAre > 500, `only ${asTheyAre} of 3000 requests skipped the schema`)
  })
})
