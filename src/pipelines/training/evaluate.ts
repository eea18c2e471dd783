import type { Row } from '../../engines/index.js'
import type { ModelMetrics } from '../models/model-registry.js'
import { encodedNames, seededRandom, shuffled } from './prepare.js'
import type { ModelTask } from './specs.js'
import { predictRows, type TrainedModel } from './train.js'

/** Whether a larger value of a metric is better; the champion comparison needs the direction. */
export const METRIC_DIRECTION: Record<string, 'higher' | 'lower'> = {
  r2: 'higher', mse: 'lower', mae: 'lower',
  accuracy: 'higher', precision: 'higher', recall: 'higher', f1: 'higher', roc_auc: 'higher',
}

/** MSE, MAE and R² (sklearn's convention for constant targets: 1 when predicted exactly, else 0). */
export function regressionMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): Record<string, number> {
  const n = yTrue.length
  if (n === 0) return {}
  let mean = 0
  for (let i = 0; i < n; i++) mean += yTrue[i]!
  mean /= n
  let se = 0
  let ae = 0
  let tot = 0
  for (let i = 0; i < n; i++) {
    const e = yTrue[i]! - yPred[i]!
    se += e * e
    ae += Math.abs(e)
    tot += (yTrue[i]! - mean) ** 2
  }
  const r2 = tot === 0 ? (se === 0 ? 1 : 0) : 1 - se / tot
  return { mse: se / n, mae: ae / n, r2 }
}

/**
 * Accuracy, precision, recall and F1 at a 0.5 threshold (0 where the denominator is 0, as
 * sklearn's zero_division=0), and ROC AUC from the scores — left out when only one class is present.
 */
export function classificationMetrics(yTrue: ArrayLike<number>, score: ArrayLike<number>, threshold = 0.5): Record<string, number> {
  const n = yTrue.length
  if (n === 0) return {}
  let tp = 0, fp = 0, tn = 0, fn = 0
  for (let i = 0; i < n; i++) {
    const predicted = score[i]! >= threshold
    if (yTrue[i] === 1) predicted ? tp++ : fn++
    else predicted ? fp++ : tn++
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp)
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn)
  const out: Record<string, number> = {
    accuracy: (tp + tn) / n,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
  }
  const auc = rocAuc(yTrue, score)
  if (auc !== undefined) out.roc_auc = auc
  return out
}

/** ROC AUC as the Mann–Whitney U statistic with average ranks for tied scores. */
export function rocAuc(yTrue: ArrayLike<number>, score: ArrayLike<number>): number | undefined {
  const idx = Array.from({ length: yTrue.length }, (_, i) => i).sort((a, b) => score[a]! - score[b]!)
  let positives = 0
  let rankSum = 0
  for (let i = 0; i < idx.length;) {
    let j = i
    while (j + 1 < idx.length && score[idx[j + 1]!] === score[idx[i]!]) j++
    const averageRank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) if (yTrue[idx[k]!] === 1) { positives++; rankSum += averageRank }
    i = j + 1
  }
  const negatives = yTrue.length - positives
  if (positives === 0 || negatives === 0) return undefined
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

export function metricsFor(task: ModelTask, yTrue: ArrayLike<number>, predicted: ArrayLike<number>): Record<string, number> {
  return task === 'regression' ? regressionMetrics(yTrue, predicted) : classificationMetrics(yTrue, predicted)
}

/** The label used for rows whose slice column is null. */
export const NULL_SLICE = '(null)'

/** Metrics overall and, with a slice column, for each of its values. */
export function evaluatePredictions(task: ModelTask, rows: readonly Row[], yTrue: Float32Array, predicted: Float32Array, sliceColumn?: string): ModelMetrics {
  const metrics: ModelMetrics = { overall: metricsFor(task, yTrue, predicted) }
  if (sliceColumn) {
    const groups = new Map<string, number[]>()
    rows.forEach((r, i) => {
      const v = r[sliceColumn]
      const key = v === null || v === undefined ? NULL_SLICE : String(v)
      groups.set(key, [...(groups.get(key) ?? []), i])
    })
    const values: Record<string, Record<string, number>> = {}
    for (const key of [...groups.keys()].sort()) {
      const ix = groups.get(key)!
      values[key] = metricsFor(task, ix.map((i) => yTrue[i]!), ix.map((i) => predicted[i]!))
    }
    metrics.slices = { column: sliceColumn, values }
  }
  return metrics
}

/** The single score permutation importance is measured with: R² or ROC AUC (accuracy without both classes). */
export function primaryScore(task: ModelTask, metrics: Record<string, number>): number {
  return task === 'regression' ? metrics.r2 ?? 0 : metrics.roc_auc ?? metrics.accuracy ?? 0
}

/**
 * Permutation feature importance: how much the primary score drops when one input column's
 * values are shuffled across the rows (seeded), breaking its link to the label.
 */
export function permutationImportance(m: TrainedModel, rows: readonly Row[], yTrue: Float32Array, seed = 42): Record<string, number> {
  const baseline = primaryScore(m.task, metricsFor(m.task, yTrue, predictRows(m, rows)))
  const out: Record<string, number> = {}
  m.preprocessing.columns.forEach((c, k) => {
    const values = shuffled(rows.map((r) => r[c.name] ?? null), seededRandom(seed + k))
    const permuted = rows.map((r, i) => ({ ...r, [c.name]: values[i]! }))
    out[c.name] = baseline - primaryScore(m.task, metricsFor(m.task, yTrue, predictRows(m, permuted)))
  })
  return out
}

/** Weight per encoded input of a model without hidden layers (linear or logistic regression). */
export function linearWeights(m: TrainedModel): Record<string, number> | undefined {
  if (m.model.layers.length !== 1) return undefined
  const kernel = m.model.layers[0]!.getWeights()[0]!.dataSync()
  return Object.fromEntries(encodedNames(m.preprocessing).map((name, i) => [name, kernel[i]!]))
}
