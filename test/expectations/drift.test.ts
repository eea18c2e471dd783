import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { columnDrift, datasetDrift, defaultDriftTest, distributionFromValues, readDistribution, upperRegularizedGamma } from '../../src/expectations/metrics/drift.js'
import { ENGINES, type OpenedEngine } from '../helpers/engines.js'

// Known distributions; the expected figures were computed with scipy 1.17 (ks_2samp, chisquare,
// wasserstein_distance / np.std, spatial.distance.jensenshannon) on the same data.
const ref = Array.from({ length: 200 }, (_, i) => ((i * 37) % 200) / 10)
const same = Array.from({ length: 150 }, (_, i) => ((i * 53) % 200) / 10 + 0.05)
const shifted = ref.map((x) => x + 3)
const cat = (a: number, b: number, c: number) => [...Array(a).fill('a'), ...Array(b).fill('b'), ...Array(c).fill('c')] as string[]
const num = (v: number[]) => distributionFromValues(v, true)
const str = (v: string[]) => distributionFromValues(v, false)

describe('drift statistics', () => {
  it('chooses the test as Evidently does', () => {
    assert.equal(defaultDriftTest(num(ref), num(same)), 'ks')
    assert.equal(defaultDriftTest(num([1, 2, 3, 1, 2]), num([1, 2, 3])), 'chisquare')
    assert.equal(defaultDriftTest(str(cat(50, 30, 20)), str(cat(1, 1, 1))), 'chisquare')
    const big = Array.from({ length: 1001 }, (_, i) => i)
    assert.equal(defaultDriftTest(num(big), num(ref)), 'wasserstein')
    assert.equal(defaultDriftTest(str(big.map((i) => `c${i % 3}`)), str(['c1'])), 'jensenshannon')
  })

  it('Kolmogorov–Smirnov on small numeric references', () => {
    const none = columnDrift('x', num(ref), num(same))
    assert.equal(none.test, 'ks')
    assert.ok(none.score > 0.99 && !none.drifted)
    const drift = columnDrift('x', num(ref), num(shifted))
    assert.ok(Math.abs(drift.score - 0.0221) < 0.002, `p=${drift.score}`)
    assert.equal(drift.drifted, true)
  })

  it('chi-square on categories, new categories drift', () => {
    const none = columnDrift('c', str(cat(50, 30, 20)), str(cat(48, 32, 20)))
    assert.equal(none.test, 'chisquare')
    assert.ok(Math.abs(none.score - 0.8988) < 1e-3, `p=${none.score}`)
    const drift = columnDrift('c', str(cat(50, 30, 20)), str(cat(20, 30, 50)))
    assert.ok(drift.score < 1e-12 && drift.drifted)
    assert.equal(columnDrift('c', str(cat(50, 30, 20)), str([...cat(50, 30, 20), 'new'])).score, 0)
    assert.ok(Math.abs(upperRegularizedGamma(1, 31.5) - 2.0879679e-14) < 1e-19)
  })

  it('normalized Wasserstein on large numeric references', () => {
    const bigRef = Array.from({ length: 5000 }, (_, i) => ((i * 7919) % 5000) / 100)
    const bigCur = Array.from({ length: 3000 }, (_, i) => (((i * 7919) % 3000) / 100) * (50 / 30) + 1)
    const r = columnDrift('x', num(bigRef), num(bigCur))
    assert.equal(r.test, 'wasserstein')
    assert.ok(Math.abs(r.score - 0.06905) < 1e-4, `wd=${r.score}`)
    assert.equal(r.drifted, false)
    assert.equal(columnDrift('x', num(bigRef), num(bigCur.map((x) => x + 10))).drifted, true)
  })

  it('Jensen–Shannon, PSI and L-infinity on request, with per-column thresholds', () => {
    const r = str(cat(50, 30, 20)), sameCur = str(cat(48, 32, 20)), drifted = str(cat(20, 30, 50))
    assert.ok(Math.abs(columnDrift('c', r, sameCur, 'jensenshannon').score - 0.016229) < 1e-5)
    assert.ok(Math.abs(columnDrift('c', r, drifted, 'jensenshannon').score - 0.257710) < 1e-5)
    assert.ok(Math.abs(columnDrift('c', r, drifted, 'psi').score - 0.549774) < 1e-5)
    assert.ok(Math.abs(columnDrift('c', r, drifted, 'linf').score - 0.3) < 1e-9)
    assert.equal(columnDrift('c', r, drifted, 'linf', 0.5).drifted, false)
  })

  it('the dataset drifts when half its columns do', () => {
    const a = columnDrift('a', num(ref), num(shifted)), b = columnDrift('b', num(ref), num(same))
    assert.equal(datasetDrift([a, b]).drifted, true)
    assert.equal(datasetDrift([a, b, b]).drifted, false)
    assert.equal(datasetDrift([a, b], 0.75).drifted, false)
  })
})

for (const target of ENGINES) {
  describe(`${target.kind}: drift distributions from SQL`, { skip: target.skip }, () => {
    let opened: OpenedEngine
    before(async () => { opened = await target.open() })
    after(async () => { await opened?.dispose() })

    it('reads grouped value counts and gives the same answer as in memory', async () => {
      const cols = [{ name: 'fare amt', type: 'float64' as const }, { name: 'kind', type: 'string' as const }]
      for (const [name, values] of [['ref_t', ref], ['cur_t', shifted]] as const) {
        await opened.engine.createTable(name, cols)
        await opened.engine.insertRows(name, cols, [...values.map((v, i) => [v, `k${i % 3}`]), [null, null]])
      }
      const r = await readDistribution(opened.engine, opened.engine.from({ kind: 'table', name: 'ref_t' }), 'fare amt', true)
      const c = await readDistribution(opened.engine, opened.engine.from({ kind: 'table', name: 'cur_t' }), 'fare amt', true)
      assert.equal(r.total, 200)
      assert.deepEqual(columnDrift('fare amt', r, c), columnDrift('fare amt', num(ref), num(shifted)))
      const k = await readDistribution(opened.engine, opened.engine.from({ kind: 'table', name: 'ref_t' }), 'kind', false)
      assert.deepEqual([k.values, k.counts], [['k0', 'k1', 'k2'], [67, 67, 66]])
    })
  })
}
