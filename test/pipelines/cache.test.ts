import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { cacheKey, type ArtifactRef } from '../../src/pipelines/index.js'

const ref = (run: string, sha256: string): ArtifactRef => ({ kind: 'artifact', name: 'dataset.parquet', path: `/home/.asof/artifacts/p/${run}/extract/dataset.parquet`, sha256, bytes: 10 })

describe('cache keys', () => {
  it('count an artifact by its content wherever its per-run path appears in the params', () => {
    const key = (run: string, sha: string, readsInputs?: boolean) => {
      const dataset = ref(run, sha)
      return cacheKey({
        uses: 'prepare', readsInputs,
        params: { dataset, path: dataset.path, note: `reading ${dataset.path} today`, rows: 3 },
        inputs: { extract: { dataset, rows: 3 }, validate: { result_ids: [`result_${run}`] } },
      })
    }
    // the gate's result ids differ per run: they count for a task that reads ctx.inputs only
    assert.notEqual(key('run_1', 'aa'), key('run_2', 'aa'))
    assert.equal(key('run_1', 'aa', false), key('run_2', 'aa', false))
    assert.notEqual(key('run_1', 'aa', false), key('run_2', 'bb', false), 'other content, other key')
  })

  it('keep params that are not artifact paths as they are', () => {
    const key = (day: string) => cacheKey({ uses: 'emit', params: { day, path: '/data/fixed.csv' }, inputs: {} })
    assert.notEqual(key('2026-01-01'), key('2026-01-02'))
    assert.equal(key('2026-01-01'), key('2026-01-01'))
  })
})
