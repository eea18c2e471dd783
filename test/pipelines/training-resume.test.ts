import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { once } from 'node:events'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { tempDir } from '../helpers/engines.js'
import { loadConfig } from '../../src/core/index.js'
import { composeAsof } from '../../src/asof.js'
import { writeTrainingRepo } from './training-fixture.js'

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'asof.js')
const EPOCHS = 16
const repo = tempDir()
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ASOF_')))

async function withAsof<T>(fn: (asof: Awaited<ReturnType<typeof composeAsof>>) => Promise<T>): Promise<T> {
  const asof = await composeAsof(loadConfig({ repoDir: repo.dir, logLevel: 'silent' }, {}))
  try {
    return await fn(asof)
  } finally {
    await asof.close()
  }
}

/** The epoch saved in a training checkpoint file (its JSON header), or 0 when there is none yet. */
function checkpointEpoch(path: string): number {
  if (!existsSync(path)) return 0
  const bytes = readFileSync(path)
  return JSON.parse(bytes.subarray(4, 4 + bytes.readUInt32LE(0)).toString()).epoch
}

describe('training survives kill -9 (real CLI)', () => {
  after(() => repo.remove())

  it('resumes from the checkpoint epoch and registers the model once', async () => {
    writeTrainingRepo(repo.dir, { epochs: EPOCHS, checkpointEvery: 2 })
    await withAsof((asof) => asof.featureStore.apply())

    const child = spawn(process.execPath, [BIN, '--repo', repo.dir, 'pipeline', 'run', 'training'], { env, stdio: 'ignore' })
    const exited = once(child, 'exit')
    const scratch = join(repo.dir, '.asof', 'scratch', 'training')
    let runId = ''
    let killedAt = 0
    for (let i = 0; i < 3000 && !killedAt; i++) {
      await sleep(20)
      runId = existsSync(scratch) ? readdirSync(scratch)[0] ?? '' : ''
      const epoch = runId ? checkpointEpoch(join(scratch, runId, 'train', 'training-checkpoint.bin')) : 0
      if (epoch >= 2) {
        child.kill('SIGKILL')
        killedAt = epoch
      }
    }
    const [, signal] = await exited
    assert.equal(signal, 'SIGKILL', 'the run ended before it could be killed mid-training')
    assert.ok(killedAt < EPOCHS, `killed at epoch ${killedAt}`)

    const resumed = spawnSync(process.execPath, [BIN, '--repo', repo.dir, '--json', 'pipeline', 'resume', runId], { env, encoding: 'utf8' })
    assert.equal(resumed.status, 0, resumed.stderr + resumed.stdout)

    const versions = await withAsof((asof) => asof.models.search({ name: 'driver_trip_model' }))
    assert.equal(versions.length, 1)
    assert.equal(versions[0]!.run_id, runId)
    const from = versions[0]!.training.resumed_from_epoch
    assert.ok(from >= killedAt && from < EPOCHS, `resumed from epoch ${from}, killed after checkpoint ${killedAt}`)
    assert.equal(versions[0]!.training.epochs, EPOCHS)

    const again = spawnSync(process.execPath, [BIN, '--repo', repo.dir, 'pipeline', 'resume', runId], { env, encoding: 'utf8' })
    assert.equal(again.status, 0, again.stderr)
    assert.equal((await withAsof((asof) => asof.models.search({ name: 'driver_trip_model' }))).length, 1)
  })
})
