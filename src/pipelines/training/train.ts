import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Errors, hashValue, sha256, type Logger } from '../../core/index.js'
import type { Row } from '../../engines/index.js'
import type { ModelSignature } from '../models/model-registry.js'
import { encodeRows, seededRandom, shuffled, type Matrix, type Preprocessing } from './prepare.js'
import { hiddenLayers, type ModelTask, type TrainSpec } from './specs.js'
import { initTf, tf } from './tf-backend.js'

export interface TrainResult {
  model: tf.LayersModel
  /** Training loss after each epoch that ran in this call (resumed epochs excluded). */
  loss: number[]
  /** The last epoch trained: the spec's epochs, unless `onEpochEnd` stopped it earlier. */
  epochs: number
  resumedFromEpoch: number
}

export interface TrainOptions {
  spec: TrainSpec
  x: Matrix
  /** One label per row: the value (regression), 0/1 (binary) or the class index (multi-class). */
  y: Float32Array
  /** The number of classes of a multi-class model. */
  classCount?: number
  /** Rows held out of the fit whose loss is reported each epoch (`onEpochEnd`'s `valLoss`): what a search prunes on. */
  validation?: { x: Matrix; y: Float32Array }
  /** Where checkpoints go; a checkpoint for the same spec and data is resumed from. */
  checkpointDir: string
  signal?: AbortSignal
  log?: Logger
  /** Called after each epoch (and its checkpoint, when one is due); `'stop'` ends the training there (a pruned search trial). */
  onEpochEnd?: (epoch: number, loss: number, valLoss?: number) => void | 'stop' | Promise<void | 'stop'>
}

/** Output units, activation and loss per task. */
const OUTPUT: Record<ModelTask, { activation: 'linear' | 'sigmoid' | 'softmax'; loss: string }> = {
  regression: { activation: 'linear', loss: 'meanSquaredError' },
  binary_classification: { activation: 'sigmoid', loss: 'binaryCrossentropy' },
  multiclass_classification: { activation: 'softmax', loss: 'categoricalCrossentropy' },
}

/** Builds the network: the declared hidden layers, then the task's output layer (`outputs` units). */
export function buildModel(spec: TrainSpec, inputs: number, outputs = 1): tf.LayersModel {
  // A fixed name (TF.js numbers sequential_1, sequential_2… per process), so a model file depends only on the training.
  const model = tf.sequential({ name: 'model' })
  const input = (i: number) => (i === 0 ? { inputShape: [inputs] } : {})
  const layers = hiddenLayers(spec)
  layers.forEach((layer, i) => {
    const seed = spec.seed + i
    model.add(layer.type === 'dense'
      ? tf.layers.dense({ name: `hidden_${i}`, units: layer.units, activation: layer.activation, kernelInitializer: tf.initializers.glorotUniform({ seed }), ...input(i) })
      : tf.layers.dropout({ name: `dropout_${i}`, rate: layer.rate, seed, ...input(i) }))
  })
  const out = OUTPUT[spec.task]
  model.add(tf.layers.dense({
    name: 'output', units: outputs, activation: out.activation,
    kernelInitializer: tf.initializers.glorotUniform({ seed: spec.seed + layers.length }), ...input(layers.length),
  }))
  const optimizer = spec.optimizer === 'adam' ? tf.train.adam(spec.learning_rate) : tf.train.sgd(spec.learning_rate)
  model.compile({ optimizer, loss: out.loss })
  return model
}

/** The fit's target tensor: one column, or one-hot rows for a multi-class model. */
function targetTensor(y: Float32Array, classCount: number | undefined): tf.Tensor2D {
  if (!classCount) return tf.tensor2d(y, [y.length, 1])
  return tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(y), 'int32'), classCount).toFloat() as tf.Tensor2D)
}

const CHECKPOINT_FILE = 'training-checkpoint.bin'

/** The header of a checkpoint file; the float32 tensor data follows it. */
interface CheckpointHeader {
  key: string
  epoch: number
  tensors: { group: 'model' | 'optimizer'; name: string; shape: number[]; length: number }[]
}

/**
 * Trains with checkpoints: every `checkpoint_every` epochs the weights, the optimizer's state
 * and the epoch are written to one file (write then rename, so a kill leaves the previous one
 * intact). A later call with the same spec and data continues after the saved epoch.
 */
export async function trainWithCheckpoints(o: TrainOptions): Promise<TrainResult> {
  const { spec, x, y } = o
  if (x.rows !== y.length) throw new Error(`train: ${x.rows} input rows but ${y.length} labels`)
  await initTf(o.log)
  if (spec.task === 'multiclass_classification' && !(o.classCount && o.classCount >= 2)) throw Errors.badInput('train', `multi-class classification needs at least 2 classes in the training split, it has ${o.classCount ?? 0}`)
  const key = hashValue({ spec: { ...spec, checkpoint_every: undefined }, rows: x.rows, cols: x.cols, x: sha256(bytesOf(x.data)), y: sha256(bytesOf(y)), classes: o.classCount ?? null, validation: o.validation ? sha256(bytesOf(o.validation.x.data)) : null })
  const model = buildModel(spec, x.cols, o.classCount ?? 1)
  const path = join(o.checkpointDir, CHECKPOINT_FILE)
  let start = 0
  const saved = await readCheckpoint(path)
  if (saved && saved.header.key === key) {
    await restore(model, saved)
    start = saved.header.epoch
    o.log?.info({ epoch: start }, 'training resumes from its checkpoint')
  } else if (saved) {
    o.log?.info('a checkpoint from a different model or dataset was ignored')
  }
  const loss: number[] = []
  let last = start
  if (start < spec.epochs) {
    const xs = tf.tensor2d(x.data, [x.rows, x.cols])
    const ys = targetTensor(y, o.classCount)
    const validation = o.validation && [tf.tensor2d(o.validation.x.data, [o.validation.x.rows, o.validation.x.cols]), targetTensor(o.validation.y, o.classCount)] as [tf.Tensor, tf.Tensor]
    let stop = false
    try {
      // One fit per epoch on rows in an order drawn from (seed, epoch): TF.js's own `shuffle`
      // draws from Math.random, so two trainings with one seed would differ, and a resumed one
      // would not see the order the uninterrupted one saw.
      for (let epoch = start; epoch < spec.epochs && !stop; epoch++) {
        const order = tf.tensor1d(epochOrder(x.rows, spec.seed, epoch), 'int32')
        const [xe, ye] = [tf.gather(xs, order), tf.gather(ys, order)]
        try {
          await model.fit(xe, ye, {
            epochs: epoch + 1, initialEpoch: epoch, batchSize: spec.batch_size, shuffle: false, verbose: 0,
            ...(validation ? { validationData: validation } : {}),
            callbacks: {
              onEpochEnd: async (_epoch, logs) => {
                const done = epoch + 1
                loss.push(logs?.loss ?? Number.NaN)
                if (done % spec.checkpoint_every === 0 || done === spec.epochs) {
                  await mkdir(o.checkpointDir, { recursive: true })
                  await writeCheckpoint(path, model, key, done)
                }
                last = done
                if ((await o.onEpochEnd?.(done, logs?.loss ?? Number.NaN, logs?.val_loss)) === 'stop' || o.signal?.aborted) stop = true
              },
            },
          })
        } finally {
          tf.dispose([order, xe, ye])
        }
      }
    } finally {
      tf.dispose([xs, ys, ...(validation ?? [])])
    }
    if (o.signal?.aborted) throw Errors.busy(`training stopped: ${String(o.signal.reason ?? 'aborted')}`)
  }
  return { model, loss, epochs: last, resumedFromEpoch: start }
}

/** The row order of one epoch: a Fisher–Yates permutation seeded by the spec's seed and the epoch. */
function epochOrder(rows: number, seed: number, epoch: number): Int32Array {
  return Int32Array.from(shuffled(Array.from({ length: rows }, (_, i) => i), seededRandom(hashSeed(seed, epoch))))
}

/** One 32-bit seed from two integers (so epoch e of seed s and epoch e+1 of seed s-1 differ). */
function hashSeed(seed: number, epoch: number): number {
  return Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35)
}

async function writeCheckpoint(path: string, model: tf.LayersModel, key: string, epoch: number): Promise<void> {
  const modelWeights = model.getWeights().map((t, i) => ({ group: 'model' as const, name: String(i), tensor: t }))
  const optimizerWeights = (await model.optimizer.getWeights()).map((w) => ({ group: 'optimizer' as const, name: w.name, tensor: w.tensor }))
  const all = [...modelWeights, ...optimizerWeights]
  const arrays = await Promise.all(all.map(async (w) => Float32Array.from(await w.tensor.data())))
  const header: CheckpointHeader = { key, epoch, tensors: all.map((w, i) => ({ group: w.group, name: w.name, shape: w.tensor.shape, length: arrays[i]!.length })) }
  await writeFile(`${path}.tmp`, packBinary(header, arrays.map(bytesOf)))
  await rename(`${path}.tmp`, path)
}

async function readCheckpoint(path: string): Promise<{ header: CheckpointHeader; arrays: Float32Array[] } | undefined> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch {
    return undefined
  }
  const { header, body } = unpackBinary<CheckpointHeader>(bytes)
  let offset = 0
  const arrays = header.tensors.map((t) => {
    const a = new Float32Array(body.buffer.slice(body.byteOffset + offset, body.byteOffset + offset + t.length * 4))
    offset += t.length * 4
    return a
  })
  return { header, arrays }
}

async function restore(model: tf.LayersModel, saved: { header: CheckpointHeader; arrays: Float32Array[] }): Promise<void> {
  const tensors = saved.header.tensors.map((t, i) => ({ ...t, tensor: tf.tensor(saved.arrays[i]!, t.shape) }))
  model.setWeights(tensors.filter((t) => t.group === 'model').map((t) => t.tensor))
  await model.optimizer.setWeights(tensors.filter((t) => t.group === 'optimizer').map((t) => ({ name: t.name, tensor: t.tensor })))
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
}

/**
 * The one binary layout of checkpoints and model files: a little-endian uint32 length, a JSON
 * header, zero padding to a 4-byte boundary (so float32 data can be viewed in place), the body.
 */
function packBinary(header: unknown, parts: Uint8Array[]): Buffer {
  const json = Buffer.from(JSON.stringify(header))
  const prefix = Buffer.alloc(4)
  prefix.writeUInt32LE(json.length)
  const pad = Buffer.alloc((4 - ((4 + json.length) % 4)) % 4)
  return Buffer.concat([prefix, json, pad, ...parts])
}

function unpackBinary<H>(bytes: Buffer): { header: H; body: Buffer } {
  const jsonLength = bytes.readUInt32LE(0)
  const header = JSON.parse(bytes.subarray(4, 4 + jsonLength).toString()) as H
  return { header, body: bytes.subarray(4 + jsonLength + ((4 - ((4 + jsonLength) % 4)) % 4)) }
}

/** A regression target's standard scaling: the network learns (y − mean) / std, predictions are scaled back. */
export interface TargetScaling {
  mean: number
  std: number
}

/**
 * The labels the network fits: a regression target standardized with the training split's mean
 * and deviation (an output of a few units learns in far fewer steps than one of a few hundred),
 * other labels as they are.
 */
export function fitTargets(task: ModelTask, y: Float32Array): { y: Float32Array; target?: TargetScaling } {
  if (task !== 'regression' || y.length === 0) return { y }
  let mean = 0
  for (const v of y) mean += v
  mean /= y.length
  let variance = 0
  for (const v of y) variance += (v - mean) ** 2
  const target = { mean, std: Math.sqrt(variance / y.length) || 1 }
  return { y: scaleTargets(y, target), target }
}

/** Labels in the units the network fits. */
export function scaleTargets(y: Float32Array, t: TargetScaling | undefined): Float32Array {
  return t ? y.map((v) => (v - t.mean) / t.std) : y
}

/** A trained model with what it needs to score raw rows. */
export interface TrainedModel {
  task: ModelTask
  preprocessing: Preprocessing
  /** A multi-class model's classes, in output order. */
  classes?: string[]
  /** A regression model's target scaling, undone on every prediction. */
  target?: TargetScaling
  signature: ModelSignature
  model: tf.LayersModel
}

const MODEL_FORMAT = 'asof-tfjs-model/1'

interface ModelFileHeader {
  format: typeof MODEL_FORMAT
  task: ModelTask
  preprocessing: Preprocessing
  classes?: string[]
  target?: TargetScaling
  signature: ModelSignature
  topology: unknown
  weightSpecs: tf.io.WeightsManifestEntry[]
  weightBytes: number
}

/**
 * Serializes a model as one file: a JSON header (task, preprocessing, signature, the Keras
 * topology and weight specs) followed by the weight bytes, so a single content hash covers all
 * of it and the preprocessing is never separated from the weights it was fitted for.
 */
export async function serializeModel(m: TrainedModel): Promise<Buffer> {
  let saved: tf.io.ModelArtifacts | undefined
  await m.model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } }
  }))
  const weights = concatWeightData(saved!.weightData)
  const header: ModelFileHeader = {
    format: MODEL_FORMAT, task: m.task, preprocessing: m.preprocessing, ...(m.classes ? { classes: m.classes } : {}), ...(m.target ? { target: m.target } : {}), signature: m.signature,
    topology: saved!.modelTopology, weightSpecs: saved!.weightSpecs ?? [], weightBytes: weights.byteLength,
  }
  return packBinary(header, [weights])
}

function concatWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0)
  const parts = Array.isArray(data) ? data : [data]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const p of parts) {
    out.set(new Uint8Array(p), offset)
    offset += p.byteLength
  }
  return out
}

/** Loads a model file written by `serializeModel`. */
export async function loadModel(path: string): Promise<TrainedModel> {
  await initTf()
  const { header, body } = unpackBinary<ModelFileHeader>(await readFile(path))
  if (header.format !== MODEL_FORMAT) throw Errors.badInput(path, `not an asof model file (format ${JSON.stringify(header.format)})`)
  const weights = body.buffer.slice(body.byteOffset, body.byteOffset + header.weightBytes)
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: header.topology as object, weightSpecs: header.weightSpecs, weightData: weights }))
  return { task: header.task, preprocessing: header.preprocessing, ...(header.classes ? { classes: header.classes } : {}), ...(header.target ? { target: header.target } : {}), signature: header.signature, model }
}

/**
 * Scores already encoded inputs: the prediction (regression), the probability of class 1 (binary),
 * or each row's class probabilities one after the other (multi-class: rows × classes values).
 */
export function predictMatrix(model: tf.LayersModel, x: Matrix): Float32Array {
  if (x.rows === 0) return new Float32Array(0)
  return tf.tidy(() => {
    const out = model.predict(tf.tensor2d(x.data, [x.rows, x.cols])) as tf.Tensor
    return out.dataSync() as Float32Array
  })
}

/** Scores raw rows (columns named as in the model's signature), in the label's own units. */
export function predictRows(m: TrainedModel, rows: readonly Row[]): Float32Array {
  const out = predictMatrix(m.model, encodeRows(m.preprocessing, rows))
  const t = m.target
  return t ? out.map((v) => v * t.std + t.mean) : out
}
