import { z } from 'zod'
import { Errors, parseTimestampMicros } from '../../core/index.js'
import type { Column, ColumnType, Row, Value } from '../../engines/index.js'
import type { SignatureColumn, TrainingMetadata } from '../models/model-registry.js'
import type { ModelTask } from './specs.js'

/** How rows are split into train and test: shuffled with a seed, or the latest rows by a time column. */
export const splitSchema = z.discriminatedUnion('method', [
  z.object({
    method: z.literal('random'),
    test_fraction: z.number().gt(0).lt(1).default(0.2),
    seed: z.number().int().default(42),
  }),
  z.object({
    method: z.literal('time'),
    /** An ISO-8601 timestamp column; the latest rows go to test. */
    column: z.string().min(1),
    test_fraction: z.number().gt(0).lt(1).default(0.2),
  }),
])
export type SplitSpec = z.output<typeof splitSchema>

/** How text columns are vectorized (the options of scikit-learn's TfidfVectorizer that matter here). */
export const textVectorizerSchema = z.object({
  /** Terms kept per column: the most frequent in the training split. */
  max_features: z.number().int().positive().default(2000),
  /** Word n-grams from `[min, max]` words. */
  ngram_range: z.tuple([z.number().int().positive(), z.number().int().positive()]).default([1, 1])
    .refine(([a, b]) => a <= b, 'ngram_range is [min, max] with min <= max'),
  /** Terms in fewer training rows than this are dropped. */
  min_df: z.number().int().positive().default(1),
  /** 1 + log(count) instead of the raw count. */
  sublinear_tf: z.boolean().default(false),
}).strict()
export type TextVectorizerSpec = z.output<typeof textVectorizerSchema>

/** Which columns feed the model and how: the `params:` of the prepare task. */
export const prepareSpecSchema = z.object({
  label: z.string().min(1),
  /** Input columns; the extract task's feature columns when omitted. */
  features: z.array(z.string().min(1)).min(1).optional(),
  /** Columns one-hot encoded even though they hold numbers (string and boolean columns always are). */
  categorical: z.array(z.string().min(1)).default([]),
  /** Free-text columns, each turned into TF-IDF weights over a vocabulary fitted on the training split. */
  text: z.array(z.string().min(1)).default([]),
  text_vectorizer: textVectorizerSchema.prefault({}),
  split: splitSchema.default({ method: 'random', test_fraction: 0.2, seed: 42 }),
  /** A categorical column whose values the evaluation reports separately. */
  slice_column: z.string().min(1).optional(),
})
export type PrepareSpec = z.output<typeof prepareSpecSchema>

/** One input column's encoding, fitted on the training split and saved with the model. */
export type ColumnEncoding =
  | { name: string; kind: 'numeric'; mean: number; std: number }
  | { name: string; kind: 'categorical'; categories: string[] }
  | { name: string; kind: 'text'; vocabulary: string[]; idf: number[]; ngram_range: [number, number]; sublinear_tf: boolean }

/**
 * Everything needed to turn raw rows into the model's input matrix: standard scaling for numeric
 * columns (nulls become the training mean), one-hot encoding for categorical ones (unknown values
 * and nulls become all zeros), TF-IDF for text (unknown terms are ignored).
 */
export interface Preprocessing {
  label: string
  columns: ColumnEncoding[]
}

/** The encoded input names, in matrix column order (`trips`, `city=Berlin`, …). */
export function encodedNames(p: Preprocessing): string[] {
  return p.columns.flatMap((c) => {
    if (c.kind === 'numeric') return [c.name]
    if (c.kind === 'categorical') return c.categories.map((v) => `${c.name}=${v}`)
    return c.vocabulary.map((term) => `${c.name}~${term}`)
  })
}

/** Lower-cased runs of letters and digits, then the word n-grams of the range. */
export function tokenize(text: string, [min, max]: readonly [number, number]): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  const out: string[] = []
  for (let n = min; n <= max; n++) {
    for (let i = 0; i + n <= words.length; i++) out.push(words.slice(i, i + n).join(' '))
  }
  return out
}

/**
 * Fits a TF-IDF vocabulary as scikit-learn's TfidfVectorizer does by default: the `max_features`
 * most frequent terms (ties by term) in at least `min_df` rows, smooth idf = ln((1 + n) / (1 + df)) + 1.
 */
function fitText(train: readonly Row[], name: string, spec: TextVectorizerSpec): ColumnEncoding {
  const total = new Map<string, number>()
  const df = new Map<string, number>()
  for (const r of train) {
    const terms = tokenize(categoryOf(r[name]) ?? '', spec.ngram_range)
    for (const t of terms) total.set(t, (total.get(t) ?? 0) + 1)
    for (const t of new Set(terms)) df.set(t, (df.get(t) ?? 0) + 1)
  }
  const vocabulary = [...total.entries()]
    .filter(([t]) => df.get(t)! >= spec.min_df)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, spec.max_features)
    .map(([t]) => t)
    .sort()
  const n = train.length
  return {
    name, kind: 'text', vocabulary, idf: vocabulary.map((t) => Math.log((1 + n) / (1 + df.get(t)!)) + 1),
    ngram_range: spec.ngram_range, sublinear_tf: spec.sublinear_tf,
  }
}

/** Writes a text value's L2-normalized TF-IDF weights into `out` from `offset`. */
function writeTfIdf(c: Extract<ColumnEncoding, { kind: 'text' }>, value: string | null, out: Float32Array, offset: number, index: Map<string, number>): void {
  if (value === null) return
  const counts = new Map<number, number>()
  for (const t of tokenize(value, c.ngram_range)) {
    const k = index.get(t)
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1)
  }
  let norm = 0
  for (const [k, count] of counts) {
    const w = (c.sublinear_tf ? 1 + Math.log(count) : count) * c.idf[k]!
    counts.set(k, w)
    norm += w * w
  }
  norm = Math.sqrt(norm)
  for (const [k, w] of counts) out[offset + k] = w / norm
}

/** A dense row-major matrix of encoded inputs. */
export interface Matrix {
  data: Float32Array
  rows: number
  cols: number
}

export function asNumber(v: Value | undefined): number | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return null
}

function categoryOf(v: Value | undefined): string | null {
  if (v === null || v === undefined) return null
  return typeof v === 'string' ? v : String(v)
}

function isCategoricalColumn(rows: readonly Row[], name: string, declared: readonly string[]): boolean {
  if (declared.includes(name)) return true
  const sample = rows.find((r) => r[name] !== null && r[name] !== undefined)?.[name]
  return typeof sample === 'string' || typeof sample === 'boolean'
}

/** Fits the encodings on `train` (the test split must not leak into scaling parameters). */
export function fitPreprocessing(train: readonly Row[], spec: PrepareSpec & { features: string[] }): Preprocessing {
  const columns = spec.features.map((name): ColumnEncoding => {
    if (spec.text.includes(name)) return fitText(train, name, spec.text_vectorizer)
    if (isCategoricalColumn(train, name, spec.categorical)) {
      const categories = [...new Set(train.map((r) => categoryOf(r[name])).filter((v): v is string => v !== null))].sort()
      return { name, kind: 'categorical', categories }
    }
    const s = numericStats(train.map((r) => asNumber(r[name])))
    return { name, kind: 'numeric', mean: s.mean ?? 0, std: s.stddev && s.stddev > 0 ? s.stddev : 1 }
  })
  return { label: spec.label, columns }
}

/** Encodes rows with fitted encodings into the model's input matrix. */
export function encodeRows(p: Preprocessing, rows: readonly Row[]): Matrix {
  const cols = encodedNames(p).length
  const data = new Float32Array(rows.length * cols)
  const termIndex = new Map(p.columns.flatMap((c) => (c.kind === 'text' ? [[c.name, new Map(c.vocabulary.map((t, k) => [t, k]))]] : [])))
  rows.forEach((row, i) => {
    let j = i * cols
    for (const c of p.columns) {
      if (c.kind === 'numeric') {
        const v = asNumber(row[c.name])
        data[j++] = v === null ? 0 : (v - c.mean) / c.std
      } else if (c.kind === 'text') {
        writeTfIdf(c, categoryOf(row[c.name]), data, j, termIndex.get(c.name)!)
        j += c.vocabulary.length
      } else {
        const v = categoryOf(row[c.name])
        const k = v === null ? -1 : c.categories.indexOf(v)
        if (k >= 0) data[j + k] = 1
        j += c.categories.length
      }
    }
  })
  return { data, rows: rows.length, cols }
}

/** The classes of a multi-class label, as found in the training split (sorted; their index is the model's output). */
export function fitClasses(train: readonly Row[], label: string): string[] {
  return [...new Set(train.map((r) => categoryOf(r[label])).filter((v): v is string => v !== null))].sort()
}

/** The class index of every row: -1 for a label the training split did not have (counted as a miss by the metrics). */
function classIndices(rows: readonly Row[], label: string, classes: readonly string[]): Float32Array {
  const index = new Map(classes.map((c, k) => [c, k]))
  return Float32Array.from(rows, (r) => index.get(categoryOf(r[label]) ?? '') ?? -1)
}

/**
 * The label column as numbers. Binary classification accepts booleans, 0/1 numbers and
 * `true`/`false` strings; multi-class labels become their index in `classes`; anything else is a
 * bad-input error naming the value.
 */
export function encodeLabels(rows: readonly Row[], label: string, task: ModelTask, classes: readonly string[] = []): Float32Array {
  if (task === 'multiclass_classification') return classIndices(rows, label, classes)
  return Float32Array.from(rows, (r, i) => {
    const v = r[label]
    const n = typeof v === 'string' && task === 'binary_classification' ? ({ true: 1, false: 0 } as Record<string, number>)[v.toLowerCase()] ?? null : asNumber(v)
    if (n === null) throw Errors.badInput(`label ${label}`, `row ${i} has no usable label (${JSON.stringify(v === undefined ? null : typeof v === 'bigint' ? String(v) : v)})`)
    if (task === 'binary_classification' && n !== 0 && n !== 1) throw Errors.badInput(`label ${label}`, `binary classification needs 0/1 or true/false labels, row ${i} has ${n}`)
    return n
  })
}

/** mulberry32: a small seeded PRNG, so a split with the same seed is the same split. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Fisher–Yates shuffle of a copy, driven by `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** Splits rows into train and test; both splits keep at least one row. */
export function splitRows(rows: readonly Row[], split: SplitSpec): { train: Row[]; test: Row[] } {
  if (rows.length < 2) throw Errors.badInput('prepare', `a train/test split needs at least 2 rows, the dataset has ${rows.length}`)
  const testCount = Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * split.test_fraction)))
  let ordered: Row[]
  if (split.method === 'random') {
    ordered = shuffled(rows, seededRandom(split.seed))
    return { test: ordered.slice(0, testCount), train: ordered.slice(testCount) }
  }
  const micros = (r: Row) => {
    const v = r[split.column]
    if (typeof v !== 'string') throw Errors.badInput('split.column', `${split.column} must be a timestamp column; a row holds ${JSON.stringify(v)}`)
    return parseTimestampMicros(v, `split.column ${split.column}`)
  }
  ordered = rows.map((r) => ({ r, t: micros(r) })).sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0)).map((x) => x.r)
  return { train: ordered.slice(0, rows.length - testCount), test: ordered.slice(rows.length - testCount) }
}

/** Mean, min, max and population standard deviation of the non-null values. */
export function numericStats(values: readonly (number | null)[]): { mean: number | null; min: number | null; max: number | null; stddev: number | null } {
  const xs = values.filter((v): v is number => v !== null)
  if (xs.length === 0) return { mean: null, min: null, max: null, stddev: null }
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length
  return { mean, min: Math.min(...xs), max: Math.max(...xs), stddev: Math.sqrt(variance) }
}

/** The dataset statistics kept with each model version, so retrains can be compared. */
export function datasetStatistics(rows: readonly Row[], p: Preprocessing): Pick<TrainingMetadata, 'categorical' | 'numeric' | 'text'> {
  const categorical: TrainingMetadata['categorical'] = {}
  const numeric: TrainingMetadata['numeric'] = {}
  const text: NonNullable<TrainingMetadata['text']> = {}
  for (const c of p.columns) {
    if (c.kind === 'categorical') categorical[c.name] = { distinct: new Set(rows.map((r) => categoryOf(r[c.name])).filter((v) => v !== null)).size }
    else if (c.kind === 'text') {
      const lengths = rows.map((r) => tokenize(categoryOf(r[c.name]) ?? '', [1, 1]).length)
      text[c.name] = { vocabulary: c.vocabulary.length, ...numericStats(lengths) }
    } else numeric[c.name] = numericStats(rows.map((r) => asNumber(r[c.name])))
  }
  return { categorical, numeric, ...(Object.keys(text).length ? { text } : {}) }
}

const SIGNATURE_TYPES: Partial<Record<ColumnType, SignatureColumn['type']>> = {
  bool: 'boolean', int32: 'long', int64: 'long', float32: 'double', float64: 'double', decimal: 'double', string: 'string',
}

/**
 * The model's input signature: one column per raw input, typed (in MLflow's type names) from
 * the dataset's column types, so an int64 feature is `long` whatever JavaScript number carried it.
 */
export function inputSignature(p: Preprocessing, datasetColumns: readonly Column[]): SignatureColumn[] {
  return p.columns.map((c) => {
    const type = datasetColumns.find((d) => d.name === c.name)?.type
    return { name: c.name, type: (type && SIGNATURE_TYPES[type]) ?? (c.kind === 'numeric' ? 'double' : 'string') }
  })
}
