import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/engines.js'
import { initTf } from '../../src/pipelines/training/tf-backend.js'
import { encodeLabels, encodeRows, fitPreprocessing, prepareSpecSchema } from '../../src/pipelines/training/prepare.js'
import { loadModel, predictRows, serializeModel, trainWithCheckpoints } from '../../src/pipelines/training/train.js'
import { trainSpecSchema } from '../../src/pipelines/training/specs.js'
import { evaluatePredictions } from '../../src/pipelines/training/evaluate.js'

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
})
