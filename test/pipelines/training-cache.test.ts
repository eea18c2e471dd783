import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ENGINES, tempDir } from '../helpers/engines.js'
import { loadPipelines, type RunSummary } from '../../src/pipelines/index.js'
import { loadModel } from '../../src/pipelines/training/train.js'
import { composeTraining, writeTrainingRepo } from './training-fixture.js'

/** The tasks whose outputs depend only on their params and inputs' contents: a re-run on the same data reuses them. */
const CACHEABLE = ['prepare', 'train', 'evaluate']
/** The tasks that read state outside their params (sources, suites, the champion, the registry): never cached. */
const NEVER_CACHED = ['extract', 'validate', 'validate_model', 'register']

function explain(s: RunSummary): string {
  return JSON.stringify(s.tasks.map((t) => [t.task_id, t.state, t.cached_from, t.error]))
}

async function weightsOf(path: string): Promise<number[][]> {
  const m = await loadModel(path)
  const weights = await Promise.all(m.model.getWeights().map(async (w) => Array.from(await w.data())))
  m.model.dispose()
  return weights
}

for (const e of ENGINES) describe(`${e.kind}: training caches on content and is reproducible`, { skip: e.skip }, () => {
  const repo = tempDir()
  let asof: Awaited<ReturnType<typeof composeTraining>>
  before(async () => {
    writeTrainingRepo(repo.dir)
    asof = await composeTraining(repo.dir, e)
    await asof.featureStore.apply()
  })
  after(async () => {
    await asof.close()
    repo.remove()
  })

  it('a second run on the same data trains nothing: prepare, train and evaluate are served from the first run', async () => {
    const [spec] = loadPipelines(repo.dir)
    const first = await asof.runner.run(spec!, { logicalDate: '2024-02-01T00:00:00Z' })
    assert.equal(first.run.state, 'success', explain(first))
    const second = await asof.runner.run(spec!, { logicalDate: '2024-02-02T00:00:00Z' })
    assert.equal(second.run.state, 'success', explain(second))
    const task = (s: RunSummary, id: string) => s.tasks.find((t) => t.task_id === id)!
    // the datasets are two files with the same bytes
    const datasets = [first, second].map((s) => JSON.parse(task(s, 'extract').output!).dataset)
    assert.notEqual(datasets[0].path, datasets[1].path)
    assert.equal(datasets[0].sha256, datasets[1].sha256)
    for (const id of CACHEABLE) {
      assert.equal(task(second, id).cached_from, first.run.id, `${id}: ${explain(second)}`)
      assert.equal(task(second, id).cache_key, task(first, id).cache_key, id)
      assert.equal(existsSync(join(repo.dir, '.asof', 'artifacts', 'training', second.run.id, id)), false, `${id} wrote no artifact in the second run`)
    }
    for (const id of NEVER_CACHED) assert.equal(task(second, id).cached_from, null, id)
    const [v1, v2] = [await asof.models.resolve('driver_trip_model@1'), await asof.models.resolve('driver_trip_model@2')]
    assert.equal(v2.artifact_uri, v1.artifact_uri, 'the second version is the first run\'s model file')
    assert.deepEqual(v2.metrics, v1.metrics)
  })

  it('with a fixed seed, two runs that both train give the same weights and metrics', async () => {
    const [spec] = loadPipelines(repo.dir)
    const runs = [
      await asof.runner.run(spec!, { logicalDate: '2024-02-03T00:00:00Z', cache: false }),
      await asof.runner.run(spec!, { logicalDate: '2024-02-04T00:00:00Z', cache: false }),
    ]
    for (const r of runs) {
      assert.equal(r.run.state, 'success', explain(r))
      assert.equal(r.tasks.find((t) => t.task_id === 'train')!.cached_from, null, 'trained again')
    }
    const versions = await Promise.all(runs.map((r) => asof.models.search({ name: 'driver_trip_model' }).then((all) => all.find((v) => v.run_id === r.run.id)!)))
    assert.notEqual(versions[0]!.artifact_uri, versions[1]!.artifact_uri)
    assert.deepEqual(await weightsOf(versions[1]!.artifact_uri), await weightsOf(versions[0]!.artifact_uri))
    assert.deepEqual(versions[1]!.metrics, versions[0]!.metrics)
    assert.deepEqual(versions[1]!.training.permutation_importance, versions[0]!.training.permutation_importance)
    assert.equal(versions[1]!.artifact_hash, versions[0]!.artifact_hash, 'the model files are byte for byte the same')
  })
})
