import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'

export { tf }

/** The backend training runs on: `tensorflow` (tfjs-node, native), `wasm`, or `cpu` (plain JS). */
export type TfBackendName = 'tensorflow' | 'wasm' | 'cpu'

let ready: Promise<TfBackendName> | undefined

/**
 * Picks and initializes the TensorFlow.js backend once per process: `@tensorflow/tfjs-node` when
 * it is installed (optional: its install downloads a native libtensorflow), otherwise the
 * WebAssembly backend, whose .wasm files are loaded from node_modules (no network). Falls back to
 * the pure-JS `cpu` backend only when WebAssembly cannot start, and says so in the log.
 */
export function initTf(log?: { warn(obj: object, msg: string): void }): Promise<TfBackendName> {
  ready ??= choose(log)
  return ready
}

async function choose(log?: { warn(obj: object, msg: string): void }): Promise<TfBackendName> {
  // A variable specifier keeps TypeScript from requiring the optional package at compile time.
  const nativePackage = '@tensorflow/tfjs-node'
  try {
    await import(nativePackage)
    if (await tf.setBackend('tensorflow')) return 'tensorflow'
  } catch {
    // not installed: the WebAssembly backend is the default
  }
  try {
    const require = createRequire(import.meta.url)
    setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`)
    if (await tf.setBackend('wasm')) {
      await tf.ready()
      return 'wasm'
    }
  } catch (e) {
    log?.warn({ err: (e as Error).message }, 'the TensorFlow.js WebAssembly backend did not start; training falls back to the slow cpu backend')
  }
  await tf.setBackend('cpu')
  await tf.ready()
  return 'cpu'
}
