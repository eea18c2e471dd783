import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { classificationMetrics, classMetrics, evaluatePredictions, multiclassMetrics, regressionMetrics, rocAuc } from '../../src/pipelines/training/evaluate.js'
import { encodeLabels, encodeRows, fitClasses, fitPreprocessing, prepareSpecSchema, splitRows, tokenize } from '../../src/pipelines/training/prepare.js'

/** One-hot rows of predicted classes, as a softmax's probabilities would rank them. */
const probabilitiesOf = (predicted: number[], k: number) => Float32Array.from(predicted.flatMap((p) => Array.from({ length: k }, (_, j) => (j === p ? 0.9 : 0.1 / (k - 1)))))

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
    const p = fitPreprocessing([{ x: 1, city: 'b' }, { x: 3, city: 'a' }], { ...prepareSpecSchema.parse({ label: 'y' }), features: ['x', 'city'] })
    assert.deepEqual(p.columns, [{ name: 'x', kind: 'numeric', mean: 2, std: 1 }, { name: 'city', kind: 'categorical', categories: ['a', 'b'] }])
    const m = encodeRows(p, [{ x: 5, city: 'a' }, { x: null, city: 'unknown' }])
    assert.deepEqual(Array.from(m.data), [3, 1, 0, 0, 0, 0])
  })

  it('multi-class figures match sklearn: accuracy, macro and weighted means, per class, confusion matrix', () => {
    // sklearn.metrics.classification_report([0,0,0,1,1,2], [0,0,1,1,2,2]): precision 1 / .5 / .5, recall .667 / .5 / 1
    const yTrue = [0, 0, 0, 1, 1, 2]
    const probabilities = probabilitiesOf([0, 0, 1, 1, 2, 2], 3)
    const m = multiclassMetrics(yTrue, probabilities)
    const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-4, `${a} vs ${b}`)
    near(m.accuracy!, 4 / 6)
    near(m.macro_precision!, 2 / 3)
    near(m.weighted_precision!, 0.75)
    near(m.macro_recall!, (2 / 3 + 0.5 + 1) / 3)
    near(m.macro_f1!, (0.8 + 0.5 + 2 / 3) / 3)
    near(m.weighted_f1!, (3 * 0.8 + 2 * 0.5 + 2 / 3) / 6)
    const c = classMetrics(['a', 'b', 'c'], yTrue, probabilities)
    assert.deepEqual(c.confusion_matrix, [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
    assert.deepEqual(c.per_class.a, { precision: 1, recall: 2 / 3, f1: 0.8, support: 3 })
    // A label the training split never had (-1) is a miss in accuracy, and no class's row.
    const unseen = multiclassMetrics([0, -1], probabilitiesOf([0, 0], 2))
    assert.equal(unseen.accuracy, 0.5)
    assert.equal(unseen.macro_recall, 0.5)
  })

  it('multi-class labels are indices into the classes fitted on the training split', () => {
    const rows = [{ tag: 'nlp' }, { tag: 'cv' }, { tag: 'nlp' }, { tag: null }]
    const classes = fitClasses(rows, 'tag')
    assert.deepEqual(classes, ['cv', 'nlp'])
    assert.deepEqual(Array.from(encodeLabels([{ tag: 'nlp' }, { tag: 'cv' }, { tag: 'mlops' }], 'tag', 'multiclass_classification', classes)), [1, 0, -1])
    const metrics = evaluatePredictions('multiclass_classification', [{ s: 'x' }, { s: 'y' }], Float32Array.from([0, 1]), probabilitiesOf([0, 0], 2), 's', classes)
    assert.deepEqual(metrics.slices?.values.x, { ...metrics.slices?.values.x, accuracy: 1 })
    assert.equal(metrics.slices?.values.y?.accuracy, 0)
    assert.deepEqual(metrics.classes?.labels, ['cv', 'nlp'])
  })

  it('TF-IDF matches sklearn TfidfVectorizer defaults and is fitted on the training rows only', () => {
    const spec = prepareSpecSchema.parse({ label: 'y', text: ['t'] })
    const p = fitPreprocessing([{ t: 'The cat' }, { t: 'the dog!' }], { ...spec, features: ['t'] })
    const c = p.columns[0]!
    assert.equal(c.kind, 'text')
    if (c.kind !== 'text') return
    assert.deepEqual(c.vocabulary, ['cat', 'dog', 'the'])
    // TfidfVectorizer().fit(['The cat', 'the dog!']).transform(['the cat', 'a bird']): [[0.8148, 0, 0.5797], [0, 0, 0]]
    const m = encodeRows(p, [{ t: 'the cat' }, { t: 'a bird' }, { t: null }])
    const expected = [0.814802, 0, 0.579739, 0, 0, 0, 0, 0, 0]
    Array.from(m.data).forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5, `value ${i}: ${v}`))
    assert.deepEqual(tokenize('Deep-learning for NLP', [1, 2]), ['deep', 'learning', 'for', 'nlp', 'deep learning', 'learning for', 'for nlp'])
    const capped = fitPreprocessing([{ t: 'a a a b b c' }, { t: 'a b d' }], { ...prepareSpecSchema.parse({ label: 'y', text: ['t'], text_vectorizer: { max_features: 2, min_df: 1 } }), features: ['t'] })
    assert.deepEqual((capped.columns[0] as { vocabulary: string[] }).vocabulary, ['a', 'b'])
  })
})
