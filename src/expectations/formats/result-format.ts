import { z } from 'zod'
import { parseOrThrow } from '../../core/index.js'

/** GX's result formats, from least to most detail. */
export const RESULT_FORMATS = ['BOOLEAN_ONLY', 'BASIC', 'SUMMARY', 'COMPLETE'] as const
export type ResultFormatName = (typeof RESULT_FORMATS)[number]

/** A result format with GX's options (`result_format` may be a bare name or this object). */
export interface ResultFormat {
  readonly result_format: ResultFormatName
  /** Key columns listed with each unexpected row (`unexpected_index_list`). */
  readonly unexpected_index_column_names?: readonly string[]
  /** Length of `partial_unexpected_list` (GX: 20). */
  readonly partial_unexpected_count: number
  /** COMPLETE: include the runnable query selecting the unexpected rows (GX default true). */
  readonly return_unexpected_index_query: boolean
}

const nameSchema = z.enum(RESULT_FORMATS)
const objectSchema = z.looseObject({
  result_format: nameSchema.default('SUMMARY'),
  unexpected_index_column_names: z.array(z.string().min(1)).optional(),
  partial_unexpected_count: z.number().int().min(0).default(20),
  return_unexpected_index_query: z.boolean().default(true),
})

/** GX 1.x's default result format for validations and checkpoints. */
export const DEFAULT_RESULT_FORMAT: ResultFormat = { result_format: 'SUMMARY', partial_unexpected_count: 20, return_unexpected_index_query: true }

/** Parses `result_format` (a name, case-insensitive, or GX's object form). */
export function parseResultFormat(value: unknown, where = 'result_format'): ResultFormat {
  if (value === undefined || value === null) return DEFAULT_RESULT_FORMAT
  if (typeof value === 'string') return { ...DEFAULT_RESULT_FORMAT, result_format: parseOrThrow(nameSchema, value.toUpperCase(), where) }
  const parsed = parseOrThrow(objectSchema, value, where)
  return {
    result_format: parsed.result_format,
    partial_unexpected_count: parsed.partial_unexpected_count,
    return_unexpected_index_query: parsed.return_unexpected_index_query,
    ...(parsed.unexpected_index_column_names ? { unexpected_index_column_names: parsed.unexpected_index_column_names } : {}),
  }
}

/** An expectation's own `result_format` kwarg overrides the run's, merging GX's object options. */
export function overrideResultFormat(run: ResultFormat, own: unknown, where: string): ResultFormat {
  if (own === undefined || own === null) return run
  const parsed = parseResultFormat(own, where)
  return typeof own === 'string' ? { ...run, result_format: parsed.result_format } : { ...run, ...parsed }
}
