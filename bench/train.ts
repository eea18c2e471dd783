/**
 * `npm run bench:train` — training throughput of the template pipeline's default model (its
 * `train` params) on the generated driver data: point-in-time features for the generated entity
 * rows, the template's preparation, then rows/s per epoch (median over epochs, checkpoints
 * included). The baseline, in the same run: the same model on TensorFlow.js's plain-JavaScript
 * `cpu` backend; the figure is the ratio of the two.
 *
 *   npm run bench:train -- [--rows 200000] [--entities 50000] [--epochs 5]
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { parse as parseYaml } from 'yaml'
import { createLogger } from '../src/core/index.js'
import { DuckDbEngine } from '../src/engines/index.js'
import { openMetadataStore } from '../src/metadata/index.js'
import { createExampleRepo, createFeatureStore } from '../src/featurestore/index.js'
import { TRAINING_PIPELINE_TEMPLATE } from '../src/pipelines/index.js'
import { encodeLabels, encodeRows, fitPreprocessing, prepareSpecSchema, splitRows } from '../src/pipelines/training/prepare.js'
import { hiddenLayers, trainSpecSchema, type TrainSpec } from '../src/pipelines/training/specs.js'
import { initTf, tf } from '../src/pipelines/training/tf-backend.js'
import { trainWithCheckpoints } from '../src/pipelines/training/train.js'
import { tempDir } from '../test/helpers/engines.js'

const { values } = parseArgs({ options: { rows: { type: 'string', default: '200000' }, entities: { type: 'string', default: '50000' }, epochs: { type: 'string', default: '5' } } })
const rows = Number(values.rows)
const entityRows = Number(values.entities)
const epochs = Number(values.epochs)

const tmp = tempDir('asof-bench-train-')
const log = createLogger('warn')
const engine = await DuckDbEngine.open({ path: join(tmp.dir, 'asof.duckdb') })
try {
  const { entitiesPath } = await createExampleRepo(engine, tmp.dir, { rows, entityRows })
  const metadata = await openMetadataStore(engine)
  const featureStore = createFeatureStore({ metadata, duckdb: engine, repoDir: tmp.dir, log })
  await featureStore.apply()

  // The template's own tasks say what the default model is.
  const template = parseYaml(readFileSync(TRAINING_PIPELINE_TEMPLATE, 'utf8')) as { tasks: { id: string; params: Record<string, unknown> }[] }
  const params = (id: string) => template.tasks.find((t) => t.id === id)!.params
  const features = params('extract').features as string[]
  const retrieved = await featureStore.historical({ entities: { kind: 'file', path: entitiesPath }, features })
  const prepareSpec = prepareSpecSchema.parse(params('prepare'))
  const labelled = retrieved.rows.filter((r) => r[prepareSpec.label] !== null)
  const { train } = splitRows(labelled, prepareSpec.split)
  const preprocessing = fitPreprocessing(train, { ...prepareSpec, features: features.map((f) => f.split(':')[1]!) })
  const spec: TrainSpec = trainSpecSchema.parse({ ...params('train'), prepared: undefined, epochs })
  const x = encodeRows(preprocessing, train)
  const y = encodeLabels(train, prepareSpec.label, spec.task)

  /** Median rows/s over the epochs of one training run on the current backend. */
  const measure = async (name: string): Promise<number> => {
    const perEpoch: number[] = []
    let last = performance.now()
    await trainWithCheckpoints({
      spec, x, y, checkpointDir: join(tmp.dir, `checkpoints-${name}`),
      onEpochEnd: () => {
        const now = performance.now()
        perEpoch.push(x.rows / ((now - last) / 1000))
        last = now
      },
    })
    return perEpoch.sort((a, b) => a - b)[Math.floor(perEpoch.length / 2)]!
  }

  const backend = await initTf(log)
  const measured = await measure(backend)
  await tf.setBackend('cpu')
  const baseline = await measure('cpu')
  const model = `${spec.task}, layers ${JSON.stringify(hiddenLayers(spec))}, batch ${spec.batch_size}, ${preprocessing.columns.length} inputs`
  console.log(`bench:train — ${x.rows} training rows (${rows} feature rows, ${entityRows} entity rows), ${epochs} epochs, model: ${model}`)
  console.log(`  ${backend.padEnd(10)} ${Math.round(measured).toLocaleString('en-US')} rows/s per epoch`)
  console.log(`  cpu (base) ${Math.round(baseline).toLocaleString('en-US')} rows/s per epoch`)
  console.log(`  ratio ${backend}/cpu: ${(measured / baseline).toFixed(2)}×`)
} finally {
  await engine.close()
  tmp.remove()
}
