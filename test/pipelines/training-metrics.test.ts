import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { classificationMetrics, evaluatePredictions, regressionMetrics, rocAuc } from '../../src/pipelines/training/evaluate.js'
import { encodeRows, fitPreprocessing, splitRows } from '../../src/pipelines/training/prepare.js'

const close = (actual: number | undefined, expected: number, eps = 1e-9) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < eps, `${actual} ≉ ${expected}`)

describe('training metrics on known data', () => {
  it('regression: MSE, MAE, R² match sklearn on its documented example', () => {
    const m = regressionMetrics([3, -0.5, 2, 7], [2.5, 0, 2, 8])
    close(m.mse, 0.375)
    close(m.mae, 0.5)
    close(m.r2, 0.9486081370449679)
  })

  it('regression: a constant target scores R² 1 when predicted exactly and 0 otherwise', () => {
    assert.equal(regressionMetrics([2, 2], [2, 2]).r2, 1)
    assert.equal(regressionMetrics([2, 2], [2, 3]).r2, 0)
  })

  it('classification: thresholded metrics and ROC AUC', () => {
    const m = classificationMetrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    close(m.accuracy, 0.75)
    close(m.precision, 1)
    close(m.recall, 0.5)
    close(m.f1, 2 / 3)
    close(m.roc_auc, 0.75)
  })

  it('ROC AUC counts tied scores as half', () => {
    close(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]), 0.875)
    assert.equal(rocAuc([1, 1], [0.2, 0.9]), undefined)
  })

  it('precision is 0 when nothing is predicted positive', () => {
    const m = classificationMetrics([1, 0], [0.1, 0.2])
    assert.equal(m.precision, 0)
    assert.equal(m.f1, 0)
  })

  it('reports metrics per slice value, nulls under (null)', () => {
    const rows = [{ city: 'a' }, { city: 'a' }, { city: 'b' }, { city: null }]
    const m = evaluatePredictions('regression', rows, Float32Array.from([1, 2, 3, 4]), Float32Array.from([1, 3, 3, 5]), 'city')
    assert.deepEqual(Object.keys(m.slices!.values), ['(null)', 'a', 'b'])
    close(m.slices!.values.a!.mae, 0.5)
    close(m.slices!.values.b!.mse, 0)
    close(m.overall.mae, 0.5)
  })
})

describe('prepare', () => {
  const rows = Array.from({ length: 100 }, (_, i) => ({ x: i, city: i % 3 === 0 ? 'x' : 'y', ts: new Date(Date.UTC(2024, 0, 1) + i * 3600_000).toISOString(), y: i * 2 }))

  it('a random split is reproducible with its seed and differs with another', () => {
    const a = splitRows(rows, { method: 'random', test_fraction: 0.2, seed: 7 })
    const b = splitRows(rows, { method: 'random', test_fraction: 0.2, seed: 7 })
    const c = splitRows(rows, { method: 'random', test_fraction: 0.2, seed: 8 })
    assert.equal(a.test.length, 20)
    assert.equal(a.train.length, 80)
    assert.deepEqual(a.test, b.test)
    assert.notDeepEqual(a.test, c.test)
  })

  it('a time split puts the latest rows in test', () => {
    const { train, test } = splitRows([...rows].reverse(), { method: 'time', column: 'ts', test_fraction: 0.1 })
    assert.deepEqual(test.map((r) => r.x), [90, 91, 92, 93, 94, 95, 96, 97, 98, 99])
    assert.equal(train.length, 90)
  })

  it('scales numeric columns with training parameters and one-hot encodes categories', () => {
    const p = fitPreprocessing([{ x: 1, city: 'b' }, { x: 3, city: 'a' }], { label: 'y', features: ['x', 'city'], categorical: [], split: { method: 'random', test_fraction: 0.2, seed: 1 } })
    assert.deepEqual(p.columns, [{ name: 'x', kind: 'numeric', mean: 2, std: 1 }, { name: 'city', kind: 'categorical', categories: ['a', 'b'] }])
    const m = encodeRows(p, [{ x: 5, city: 'a' }, { x: null, city: 'unknown' }])
    assert.deepEqual(Array.from(m.data), [3, 1, 0, 0, 0, 0])
  })
})
