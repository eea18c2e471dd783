import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { tempDir } from '../helpers/engines.js'
import { encodeLabels, encodeRows, fitPreprocessing, prepareSpecSchema } from '../../src/pipelines/training/prepare.js'
import { predictRows, trainWithCheckpoints, type TrainedModel } from '../../src/pipelines/training/train.js'
import { trainSpecSchema, validateModelSpecSchema } from '../../src/pipelines/training/specs.js'
import { evaluatePredictions } from '../../src/pipelines/training/evaluate.js'
import { validateModel } from '../../src/pipelines/training/validate-model.js'

const tmp = tempDir()
after(() => tmp.remove())

// y = 3x in city a, −3x in city b: a model must use the city to do well on both slices
const rows = Array.from({ length: 300 }, (_, i) => {
  const x = ((i * 37) % 100) / 50 - 1
  const city = i % 2 ? 'a' : 'b'
  return { x, city, y: city === 'a' ? 3 * x : -3 * x }
})
const signature = { inputs: [{ name: 'x', type: 'double' as const }, { name: 'city', type: 'string' as const }], outputs: [{ name: 'prediction', type: 'double' as const }] }
const serving = signature.inputs

async function fit(features: string[], epochs: number, hidden: number[]): Promise<TrainedModel> {
  const preprocessing = fitPreprocessing(rows, { ...prepareSpecSchema.parse({ label: 'y' }), features })
  const spec = trainSpecSchema.parse({ task: 'regression', epochs, hidden_units: hidden, learning_rate: 0.1, batch_size: 64 })
  const { model } = await trainWithCheckpoints({ spec, x: encodeRows(preprocessing, rows), y: encodeLabels(rows, 'y', 'regression'), checkpointDir: join(tmp.dir, `${features.join('_')}_${epochs}`) })
  return { task: 'regression', preprocessing, signature, model }
}

function check(candidate: TrainedModel, champion: TrainedModel | undefined, spec: object = {}) {
  const y = encodeLabels(rows, 'y', 'regression')
  const metrics = evaluatePredictions('regression', rows, y, predictRows(candidate, rows), 'city')
  return validateModel({
    candidate, metrics, testRows: rows, label: 'y', sliceColumn: 'city', servingSchema: serving,
    champion: champion && { version: 1, model: champion }, spec: validateModelSpecSchema.parse(spec),
  })
}

describe('validate model', () => {
  let good: TrainedModel
  let poor: TrainedModel

  it('passes a model at least as good as the champion, overall and on every slice', async () => {
    good = await fit(['x', 'city'], 25, [8])
    poor = await fit(['x'], 5, [])
    // A generous latency budget: this test is about metrics (the budget is tested below), and CI machines stall.
    const report = check(good, poor, { thresholds: { r2: { min: 0.7 } }, latency_budget_ms: 5000 })
    assert.equal(report.success, true, JSON.stringify(report.checks.filter((c) => !c.success)))
    assert.ok(report.checks.some((c) => c.name === 'champion:city=a:r2'))
  })

  it('fails a model worse than the champion beyond the tolerance, naming the metric and slice', () => {
    const report = check(poor, good, { champion: { tolerance: 0.05 }, latency_budget_ms: 5000 })
    assert.equal(report.success, false)
    const failed = report.checks.filter((c) => !c.success).map((c) => c.name)
    assert.ok(failed.includes('champion:overall:mse'), failed.join(', '))
    assert.ok(failed.includes('champion:city=b:mae'), failed.join(', '))
  })

  it('fails thresholds, a serving schema without an input, and an impossible latency budget', () => {
    const report = check(good, undefined, { thresholds: { r2: { min: 1.5 } }, latency_budget_ms: 0.000001, latency_samples: 5 })
    const failed = Object.fromEntries(report.checks.filter((c) => !c.success).map((c) => [c.name, c.detail]))
    assert.deepEqual(Object.keys(failed).sort(), ['latency', 'threshold:r2'])
    const noCity = validateModel({
      candidate: good, metrics: { overall: {} }, testRows: rows, label: 'y',
      servingSchema: [{ name: 'x', type: 'long' }], spec: validateModelSpecSchema.parse({}),
    })
    assert.match(noCity.checks.find((c) => c.name === 'serving_schema')!.detail, /city is not served \(served: x\)/)
  })
})
