import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/engines.js'
import { initTf } from '../../src/pipelines/training/tf-backend.js'
import { encodeLabels, encodeRows, fitClasses, fitPreprocessing, prepareSpecSchema, seededRandom } from '../../src/pipelines/training/prepare.js'
import { loadModel, predictRows, serializeModel, trainWithCheckpoints } from '../../src/pipelines/training/train.js'
import { hiddenLayers, trainSpecSchema } from '../../src/pipelines/training/specs.js'
import { evaluateModel, evaluatePredictions } from '../../src/pipelines/training/evaluate.js'

const tmp = tempDir()
after(() => tmp.remove())

// y = 2a − 3b + 1 (and 5 more in city "x"): learnable exactly by a linear model with a one-hot city
const rows = Array.from({ length: 400 }, (_, i) => {
  const a = Math.sin(i) * 2
  const b = Math.cos(i * 1.7)
  const city = i % 4 === 0 ? 'x' : 'y'
  return { a, b, city, y: 2 * a - 3 * b + 1 + (city === 'x' ? 5 : 0) }
})
const prep = fitPreprocessing(rows, { ...prepareSpecSchema.parse({ label: 'y' }), features: ['a', 'b', 'city'] })
const x = encodeRows(prep, rows)
const y = encodeLabels(rows, 'y', 'regression')

describe('training', () => {
  it('runs on the WebAssembly backend here', async () => {
    assert.equal(await initTf(), 'wasm')
  })

  it('fits a linear regression and round-trips the model file', async () => {
    const spec = trainSpecSchema.parse({ task: 'regression', epochs: 60, learning_rate: 0.1, batch_size: 32 })
    const result = await trainWithCheckpoints({ spec, x, y, checkpointDir: join(tmp.dir, 'fit') })
    const trained = { task: spec.task, preprocessing: prep, signature: { inputs: [], outputs: [] }, model: result.model }
    const metrics = evaluatePredictions('regression', rows, y, predictRows(trained, rows))
    assert.ok(metrics.overall.r2! > 0.98, `r2 ${metrics.overall.r2}`)
    const path = join(tmp.dir, 'model.bin')
    await writeFile(path, await serializeModel(trained))
    const loaded = await loadModel(path)
    assert.deepEqual(loaded.preprocessing, prep)
    assert.deepEqual(Array.from(predictRows(loaded, rows.slice(0, 5))), Array.from(predictRows(trained, rows.slice(0, 5))))
  })

  it('resumes an interrupted training from its last checkpoint epoch', async () => {
    const spec = trainSpecSchema.parse({ task: 'regression', epochs: 6, checkpoint_every: 2, hidden_units: [4] })
    const dir = join(tmp.dir, 'resume')
    await assert.rejects(trainWithCheckpoints({
      spec, x, y, checkpointDir: dir,
      onEpochEnd: (epoch) => { if (epoch === 3) throw new Error('crash after epoch 3') },
    }), /crash after epoch 3/)
    assert.ok(existsSync(join(dir, 'training-checkpoint.bin')))
    const epochsRun: number[] = []
    const resumed = await trainWithCheckpoints({ spec, x, y, checkpointDir: dir, onEpochEnd: (e) => { epochsRun.push(e) } })
    assert.equal(resumed.resumedFromEpoch, 2)
    assert.deepEqual(epochsRun, [3, 4, 5, 6])
    // A finished training resumes at its end: nothing runs again.
    const again = await trainWithCheckpoints({ spec, x, y, checkpointDir: dir, onEpochEnd: () => assert.fail('no epoch should run') })
    assert.equal(again.resumedFromEpoch, 6)
  })

  it('ignores a checkpoint made for different data', async () => {
    const spec = trainSpecSchema.parse({ task: 'regression', epochs: 2 })
    const dir = join(tmp.dir, 'other')
    await trainWithCheckpoints({ spec, x, y, checkpointDir: dir })
    const y2 = y.map((v) => v + 1)
    const fresh = await trainWithCheckpoints({ spec, x, y: y2, checkpointDir: dir })
    assert.equal(fresh.resumedFromEpoch, 0)
  })

  it('classifies text into several classes: TF-IDF and a softmax over declared layers, all in the model file', async () => {
    // Each class has its own words; every title mixes two of them with shared filler, so one word does not decide alone.
    const words = { vision: ['image', 'pixel', 'detection', 'camera'], language: ['text', 'token', 'translation', 'sentence'], graphs: ['node', 'edge', 'graph', 'walk'] }
    const random = seededRandom(3)
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!
    const docs = Array.from({ length: 240 }, (_, i) => {
      const tag = (Object.keys(words) as (keyof typeof words)[])[i % 3]!
      return { title: `${pick(words[tag])} model for ${pick(['fast', 'new', 'deep', 'simple'])} ${pick(words[tag])}`, n: i % 2, tag }
    })
    const [train, test] = [docs.slice(0, 180), docs.slice(180)]
    const prep = fitPreprocessing(train, { ...prepareSpecSchema.parse({ label: 'tag', text: ['title'] }), features: ['title', 'n'] })
    const classes = fitClasses(train, 'tag')
    const spec = trainSpecSchema.parse({ task: 'multiclass_classification', epochs: 25, learning_rate: 0.05, batch_size: 32, layers: [{ type: 'dense', units: 16 }, { type: 'dropout', rate: 0.1 }] })
    const result = await trainWithCheckpoints({
      spec, x: encodeRows(prep, train), y: encodeLabels(train, 'tag', spec.task, classes), classCount: classes.length, checkpointDir: join(tmp.dir, 'text'),
    })
    const trained = { task: spec.task, preprocessing: prep, classes, signature: { inputs: [], outputs: [] }, model: result.model }
    const path = join(tmp.dir, 'text-model.bin')
    await writeFile(path, await serializeModel(trained))
    const loaded = await loadModel(path)
    assert.deepEqual(loaded.classes, ['graphs', 'language', 'vision'])
    assert.deepEqual(loaded.preprocessing, prep, 'the fitted vocabulary travels inside the model file')
    const { metrics } = evaluateModel(loaded, test, 'tag')
    assert.ok(metrics.overall.accuracy! > 0.9, `accuracy ${metrics.overall.accuracy}`)
    assert.ok(metrics.overall.macro_f1! > 0.9, `macro F1 ${metrics.overall.macro_f1}`)
    assert.equal(metrics.classes?.confusion_matrix.flat().reduce((a, b) => a + b, 0), test.length)
    assert.deepEqual(loaded.model.layers.map((l) => l.getClassName()), ['Dense', 'Dropout', 'Dense'])
  })

  it('expands a named architecture into layers, and takes one way of declaring the shape only', () => {
    const spec = trainSpecSchema.parse({ task: 'regression', architecture: { name: 'mlp', hidden_units: [8, 4], dropout: 0.2 } })
    assert.deepEqual(hiddenLayers(spec), [
      { type: 'dense', units: 8, activation: 'relu' }, { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 4, activation: 'relu' }, { type: 'dropout', rate: 0.2 },
    ])
    assert.deepEqual(hiddenLayers(trainSpecSchema.parse({ task: 'regression', hidden_units: [3] })), [{ type: 'dense', units: 3, activation: 'relu' }])
    const both = trainSpecSchema.safeParse({ task: 'regression', hidden_units: [3], layers: [] })
    assert.equal(both.success, false)
    assert.match(JSON.stringify(both.error?.issues), /at most one of layers, architecture or hidden_units/)
    assert.equal(trainSpecSchema.safeParse({ task: 'regression', layers: [{ type: 'dense', units: 0 }] }).success, false)
  })
})
