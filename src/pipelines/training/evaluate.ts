import type { Row } from '../../engines/index.js'
import type { ClassMetrics, ModelMetrics } from '../models/model-registry.js'
import { encodedNames, encodeLabels, seededRandom, shuffled } from './prepare.js'
import type { ModelTask } from './specs.js'
import { predictRows, type TrainedModel } from './train.js'

export { METRIC_DIRECTION } from './specs.js'

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

/** Each row's most probable class, from rows × classes probabilities. */
export function argmaxRows(probabilities: ArrayLike<number>, rows: number): Int32Array {
  const k = rows === 0 ? 0 : probabilities.length / rows
  return Int32Array.from({ length: rows }, (_, i) => {
    let best = 0
    for (let j = 1; j < k; j++) if (probabilities[i * k + j]! > probabilities[i * k + best]!) best = j
    return best
  })
}

/**
 * The confusion matrix (rows: true class, columns: predicted) and precision, recall and F1 per
 * class, zero where a denominator is zero (sklearn's zero_division=0). A true label of -1 (a class
 * the training split did not have) has no row: it counts only against accuracy.
 */
export function classFigures(yTrue: ArrayLike<number>, predicted: ArrayLike<number>, k: number): { matrix: number[][]; perClass: { precision: number; recall: number; f1: number; support: number }[] } {
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i]! >= 0) matrix[yTrue[i]!]![predicted[i]!]!++
  const perClass = matrix.map((row, c) => {
    const tp = row[c]!
    const support = row.reduce((a, b) => a + b, 0)
    const predictedCount = matrix.reduce((a, r) => a + r[c]!, 0)
    const precision = predictedCount === 0 ? 0 : tp / predictedCount
    const recall = support === 0 ? 0 : tp / support
    return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall), support }
  })
  return { matrix, perClass }
}

/**
 * Accuracy and macro- and support-weighted precision, recall and F1 (sklearn's `average='macro'`
 * and `'weighted'`), from rows × k class probabilities. Classes without test rows count in the macro
 * means with their zeros, as sklearn does when `labels` names them.
 */
export function multiclassMetrics(yTrue: ArrayLike<number>, probabilities: ArrayLike<number>): Record<string, number> {
  const n = yTrue.length
  if (n === 0) return {}
  const k = probabilities.length / n
  const predicted = argmaxRows(probabilities, n)
  const { perClass } = classFigures(yTrue, predicted, k)
  let correct = 0
  for (let i = 0; i < n; i++) if (yTrue[i] === predicted[i]) correct++
  const support = perClass.reduce((a, c) => a + c.support, 0)
  const mean = (f: 'precision' | 'recall' | 'f1', weighted: boolean) =>
    perClass.reduce((a, c) => a + c[f] * (weighted ? c.support : 1), 0) / (weighted ? Math.max(1, support) : k)
  return {
    accuracy: correct / n,
    macro_precision: mean('precision', false), macro_recall: mean('recall', false), macro_f1: mean('f1', false),
    weighted_precision: mean('precision', true), weighted_recall: mean('recall', true), weighted_f1: mean('f1', true),
  }
}

export function metricsFor(task: ModelTask, yTrue: ArrayLike<number>, predicted: ArrayLike<number>): Record<string, number> {
  if (task === 'regression') return regressionMetrics(yTrue, predicted)
  return task === 'binary_classification' ? classificationMetrics(yTrue, predicted) : multiclassMetrics(yTrue, predicted)
}

/** Per-class figures and the confusion matrix of a multi-class model, keyed by its class labels. */
export function classMetrics(classes: readonly string[], yTrue: ArrayLike<number>, probabilities: ArrayLike<number>): ClassMetrics {
  const { matrix, perClass } = classFigures(yTrue, argmaxRows(probabilities, yTrue.length), classes.length)
  return { labels: [...classes], per_class: Object.fromEntries(classes.map((c, i) => [c, perClass[i]!])), confusion_matrix: matrix }
}

/** The label used for rows whose slice column is null. */
export const NULL_SLICE = '(null)'

/** Metrics overall and, with a slice column, for each of its values; a multi-class model's per-class figures too. */
export function evaluatePredictions(task: ModelTask, rows: readonly Row[], yTrue: Float32Array, predicted: Float32Array, sliceColumn?: string, classes?: readonly string[]): ModelMetrics {
  const metrics: ModelMetrics = { overall: metricsFor(task, yTrue, predicted) }
  const width = rows.length === 0 ? 1 : predicted.length / rows.length
  if (task === 'multiclass_classification' && classes) metrics.classes = classMetrics(classes, yTrue, predicted)
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
      values[key] = metricsFor(task, ix.map((i) => yTrue[i]!), ix.flatMap((i) => Array.from(predicted.subarray(i * width, (i + 1) * width))))
    }
    metrics.slices = { column: sliceColumn, values }
  }
  return metrics
}

/** A model's metrics on labelled rows: its labels encoded with its own classes, so models with different class lists compare fairly. */
export function evaluateModel(m: TrainedModel, rows: readonly Row[], label: string, sliceColumn?: string): { metrics: ModelMetrics; yTrue: Float32Array } {
  const yTrue = encodeLabels(rows, label, m.task, m.classes)
  return { metrics: evaluatePredictions(m.task, rows, yTrue, predictRows(m, rows), sliceColumn, m.classes), yTrue }
}

/** The single score permutation importance is measured with: R², ROC AUC (accuracy without both classes), or multi-class accuracy. */
export function primaryScore(task: ModelTask, metrics: Record<string, number>): number {
  if (task === 'regression') return metrics.r2 ?? 0
  return task === 'binary_classification' ? metrics.roc_auc ?? metrics.accuracy ?? 0 : metrics.accuracy ?? 0
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

/** Weight per encoded input of a model without hidden layers (linear or logistic regression; not softmax's matrix). */
export function linearWeights(m: TrainedModel): Record<string, number> | undefined {
  if (m.model.layers.length !== 1 || m.task === 'multiclass_classification') return undefined
  const kernel = m.model.layers[0]!.getWeights()[0]!.dataSync()
  return Object.fromEntries(encodedNames(m.preprocessing).map((name, i) => [name, kernel[i]!]))
}
