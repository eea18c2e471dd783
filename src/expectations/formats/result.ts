import type { Severity } from './suite.js'

/** pass; warn = a failed `warning`/`info` expectation; fail = a failed critical one; error = could not run. */
export type ExpectationStatus = 'pass' | 'warn' | 'fail' | 'error'

/** GX's `exception_info`, plus where the problem is: the expectation's index, type and field. */
export interface ExceptionInfo {
  readonly raised_exception: boolean
  readonly exception_message: string | null
  readonly exception_traceback: string | null
  readonly index?: number
  readonly type?: string
  readonly field?: string
}

/** One expectation's result, in GX's ExpectationValidationResult shape. */
export interface ExpectationResult {
  readonly expectation_config: {
    readonly type: string
    readonly kwargs: Record<string, unknown>
    readonly meta: Record<string, unknown>
    readonly severity: Severity
    readonly id?: string
  }
  readonly success: boolean
  readonly status: ExpectationStatus
  readonly result: Record<string, unknown>
  readonly exception_info: ExceptionInfo
  readonly meta: Record<string, unknown>
}

export interface ValidationStatistics {
  readonly evaluated_expectations: number
  readonly successful_expectations: number
  readonly unsuccessful_expectations: number
  readonly success_percent: number | null
}

/** A suite's validation result, in GX's ExpectationSuiteValidationResult shape. */
export interface ValidationResult {
  /** False when a critical expectation failed or any expectation could not run. */
  readonly success: boolean
  readonly results: readonly ExpectationResult[]
  readonly suite_name: string
  readonly suite_parameters: Record<string, unknown>
  readonly statistics: ValidationStatistics
  readonly meta: {
    readonly suite_name: string
    readonly batch_spec: Record<string, unknown>
    readonly run_id: { readonly run_name: string | null; readonly run_time: string }
    readonly validation_time: string
    readonly started_at: string
    readonly finished_at: string
    readonly asof_version: string
    readonly [key: string]: unknown
  }
}

export const NO_EXCEPTION: ExceptionInfo = { raised_exception: false, exception_message: null, exception_traceback: null }

/** GX's statistics block over a list of results. */
export function statisticsOf(results: readonly ExpectationResult[]): ValidationStatistics {
  const successful = results.filter((r) => r.success).length
  return {
    evaluated_expectations: results.length,
    successful_expectations: successful,
    unsuccessful_expectations: results.length - successful,
    success_percent: results.length === 0 ? null : (successful / results.length) * 100,
  }
}

/** The status of a finished expectation, from its success and severity. */
export function statusOf(success: boolean, severity: Severity, raised: boolean): ExpectationStatus {
  if (raised) return 'error'
  if (success) return 'pass'
  return severity === 'critical' ? 'fail' : 'warn'
}
