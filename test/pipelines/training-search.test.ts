import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/engines.js'
import { fitPreprocessing, prepareSpecSchema } from '../../src/pipelines/training/prepare.js'
import { gridPoints, randomPoints, runSearch, shouldPrune, trialSpec, type TrialRecord } from '../../src/pipelines/training/search.js'
import { searchSpecSchema } from '../../src/pipelines/training/specs.js'
import { loadModel } from '../../src/pipelines/training/train.js'
import { evaluateModel } from '../../src/pipelines/training/evaluate.js'

const tmp = tempDir()
after(() => tmp.remove())

const rows = Array.from({ length: 200 }, (_, i) => {
  const a = Math.sin(i) * 2
  const b = Math.cos(i * 1.7)
  return { a, b, y: 2 * a - 3 * b + 1 }
})
const preprocessing = fitPreprocessing(rows, { ...prepareSpecSchema.parse({ label: 'y' }), features: ['a', 'b'] })
const signature = { inputs: [], outputs: [{ name: 'prediction', type: 'double' as const }] }

describe('hyperparameter search', () => {
  it('expands a grid, samples a space with a seed, and sets dotted train params', () => {
    assert.deepEqual(gridPoints({ learning_rate: [0.1, 0.01], 'architecture.hidden_units': [[4], [8]] }), [
      { learning_rate: 0.1, 'architecture.hidden_units': [4] }, { learning_rate: 0.1, 'architecture.hidden_units': [8] },
      { learning_rate: 0.01, 'architecture.hidden_units': [4] }, { learning_rate: 0.01, 'architecture.hidden_units': [8] },
    ])
    assert.throws(() => gridPoints({ learning_rate: { uniform: [0, 1] } }), /grid search takes lists of choices/)
    const space = { learning_rate: { log_uniform: [0.001, 0.1] as [number, number] }, batch_size: { int: [8, 64] as [number, number] }, optimizer: ['adam', 'sgd'] }
    const a = randomPoints(space, 20, 7)
    assert.deepEqual(a, randomPoints(space, 20, 7), 'the same seed samples the same trials')
    for (const p of a) {
      assert.ok((p.learning_rate as number) >= 0.001 && (p.learning_rate as number) <= 0.1)
      assert.ok(Number.isInteger(p.batch_size) && (p.batch_size as number) >= 8 && (p.batch_size as number) <= 64)
    }
    assert.ok(a.filter((p) => (p.learning_rate as number) < 0.01).length > 4, 'log-uniform puts about half the samples below the geometric middle')
    const spec = trialSpec({ task: 'regression', layers: [{ type: 'dense', units: 4 }] }, { 'layers.0.units': 16, learning_rate: 0.5 }, 'trial')
    assert.deepEqual(spec.layers, [{ type: 'dense', units: 16, activation: 'relu' }])
    assert.equal(spec.learning_rate, 0.5)
    assert.throws(() => trialSpec({ task: 'regression' }, { 'architecture.hidden_units': [4] }, 'trial'), /train has no architecture/)
    assert.throws(() => trialSpec({ task: 'regression' }, { batch_size: -1 }, 'trial 3'), /trial 3/)
  })

  it('prunes by the median rule only after the warm-up and enough finished trials', () => {
    const t = (losses: number[]): TrialRecord => ({ trial: 0, params: {}, state: 'complete', epochs: losses.length, val_loss: losses, metrics: {}, score: 0 })
    const rule = { warmup_epochs: 2, min_trials: 2 }
    const finished = [t([5, 2, 1]), t([6, 3, 1]), t([9, 4, 2])]
    assert.equal(shouldPrune(10, 1, finished, rule), false, 'within the warm-up')
    assert.equal(shouldPrune(3.5, 2, finished, rule), true, 'worse than the median 3')
    assert.equal(shouldPrune(2.5, 2, finished, rule), false)
    assert.equal(shouldPrune(9, 2, finished.slice(0, 1), rule), false, 'one finished trial is not enough')
  })

  it('runs every trial, stops a bad one early, passes the best model on, and a resumed search reruns nothing', async () => {
    const search = searchSpecSchema.parse({
      method: 'grid', max_parallel: 1, seed: 3,
      space: { learning_rate: [0.1, 0.05, 0.000001] },
      early_stopping: { warmup_epochs: 2, min_trials: 2 },
    })
    const input = {
      task: 'regression' as const, base: { task: 'regression', epochs: 8, batch_size: 16 }, search, preprocessing, signature,
      label: 'y', train: rows, scratchDir: join(tmp.dir, 'search'),
    }
    const result = await runSearch(input)
    assert.equal(result.metric, 'r2')
    assert.deepEqual(result.trials.map((t) => t.state), ['complete', 'complete', 'pruned'])
    assert.ok(result.trials[2]!.epochs < 8, `the slow trial stopped at epoch ${result.trials[2]!.epochs}`)
    assert.ok([0, 1].includes(result.best.trial))
    assert.ok(result.best.score! > 0.9, `best validation r2 ${result.best.score}`)
    for (const t of result.trials.filter((x) => x.state === 'complete')) assert.equal(typeof t.metrics.mae, 'number')
    const path = join(tmp.dir, 'best.bin')
    await writeFile(path, result.modelBytes)
    const best = await loadModel(path)
    assert.ok(evaluateModel(best, rows, 'y').metrics.overall.r2! > 0.9)
    // Resumed: every trial is in the ledger, so none trains again and the same trial wins.
    const ledger = await readFile(join(tmp.dir, 'search', 'trials.json'), 'utf8')
    const again = await runSearch({ ...input, log: { info: () => assert.fail('no trial should run again') } as never })
    assert.equal(again.best.trial, result.best.trial)
    assert.equal(await readFile(join(tmp.dir, 'search', 'trials.json'), 'utf8'), ledger)
  })

  it('refuses a grid larger than its trial budget and an unknown metric', async () => {
    const base = { task: 'regression' as const, base: { task: 'regression', epochs: 1 }, preprocessing, signature, label: 'y', train: rows, scratchDir: join(tmp.dir, 'bad') }
    await assert.rejects(runSearch({ ...base, search: searchSpecSchema.parse({ method: 'grid', trials: 2, space: { batch_size: [8, 16, 32] } }) }), /the grid has 3 points, more than trials \(2\)/)
    await assert.rejects(runSearch({ ...base, search: searchSpecSchema.parse({ trials: 1, metric: 'wow', space: { batch_size: [8] } }) }), /unknown metric wow/)
  })
})
