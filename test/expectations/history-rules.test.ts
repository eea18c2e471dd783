import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { anomalyRuleSchema, daysBefore, evaluateAnomaly, historyNeeded, intervalCheck, type HistoryPoint } from '../../src/expectations/history.js'

const points = (...values: number[]): HistoryPoint[] => values.map((value, i) => ({ value, runTime: `2024-01-${String(20 - i).padStart(2, '0')}T00:00:00Z` }))
const rule = (r: unknown) => anomalyRuleSchema.parse(r)

describe('interval check ratio formulas (Airflow semantics)', () => {
  it('max_over_min and relative_diff pass below the threshold', () => {
    assert.deepEqual(intervalCheck(150, 100, 'max_over_min', 1.5, true), { success: false, ratio: 1.5, current: 150, reference: 100, threshold: 1.5 })
    assert.equal(intervalCheck(100, 149, 'max_over_min', 1.5, true).success, true)
    assert.equal(intervalCheck(80, 100, 'relative_diff', 0.25, true).ratio, 0.2)
    assert.equal(intervalCheck(70, 100, 'relative_diff', 0.25, true).success, false)
  })
  it('zero values follow ignore_zero; a missing reference fails', () => {
    assert.equal(intervalCheck(0, 100, 'max_over_min', 2, true).success, true)
    assert.equal(intervalCheck(0, 100, 'max_over_min', 2, false).success, false)
    assert.equal(intervalCheck(5, null, 'max_over_min', 2, true).success, false)
  })
})

describe('anomaly rules', () => {
  it('absolute and relative change from the previous run', () => {
    assert.equal(evaluateAnomaly(rule({ type: 'absolute_change', max_change: 10 }), 109, points(100)).success, true)
    const out = evaluateAnomaly(rule({ type: 'absolute_change', max_change: 10 }), 111, points(100, 111))
    assert.deepEqual([out.success, out.expected, out.deviation], [false, 100, 11])
    assert.equal(evaluateAnomaly(rule({ type: 'relative_change', max_change: 0.2 }), 119, points(100)).success, true)
    assert.equal(evaluateAnomaly(rule({ type: 'relative_change', max_change: 0.2 }), 79, points(100)).success, false)
    assert.equal(evaluateAnomaly(rule({ type: 'relative_change', max_change: 0.2 }), 79, []).success, true)
  })
  it('change from N days back reads the newest value at least that old', () => {
    assert.deepEqual(historyNeeded(rule({ type: 'relative_change', max_change: 0.1, baseline: { days_back: 7 } }), '2024-01-20T06:00:00Z'),
      { atOrBefore: '2024-01-13T06:00:00Z', limit: 1 })
    assert.equal(daysBefore('2024-03-01T00:00:00.000001Z', 1), '2024-02-29T00:00:00.000001Z')
  })
  it('running mean ± k·σ, and silence until there is enough history', () => {
    const r = rule({ type: 'stddev', k: 2, window: 5, min_history: 3 })
    const history = points(10, 12, 11, 9, 8, 1000) // the 6th point is outside the window
    const ok = evaluateAnomaly(r, 13, history)
    assert.equal(ok.expected, 10)
    assert.ok(Math.abs(ok.bounds!.max - (10 + 2 * Math.sqrt(2.5))) < 1e-12)
    assert.equal(ok.success, true)
    assert.equal(evaluateAnomaly(r, 14, history).success, false)
    assert.equal(evaluateAnomaly(r, 1e6, points(1, 2)).success, true)
  })
})
