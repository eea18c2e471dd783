import { assertNever } from '../core/index.js'
import { FINAL_TASK_STATES, type TaskState } from '../metadata/index.js'
import type { TriggerRule } from './definition.js'

/**
 * Airflow's trigger rules, decided once every upstream task is final:
 * - all_success: run when all upstream succeeded; upstream_failed when one failed; skipped otherwise.
 * - all_done: run whatever happened upstream.
 * - one_failed: run when at least one upstream failed (cleanup, alerts); skipped otherwise.
 * Returns undefined while some upstream task is not final.
 */
export function triggerDecision(rule: TriggerRule, upstream: readonly TaskState[]): 'run' | 'skipped' | 'upstream_failed' | undefined {
  if (!upstream.every(isFinal)) return undefined
  const failed = upstream.some((s) => s === 'failed' || s === 'upstream_failed')
  switch (rule) {
    case 'all_success':
      if (upstream.every((s) => s === 'success')) return 'run'
      return failed ? 'upstream_failed' : 'skipped'
    case 'all_done':
      return 'run'
    case 'one_failed':
      return failed ? 'run' : 'skipped'
    default:
      return assertNever(rule, 'trigger rule')
  }
}

export function isFinal(state: TaskState): boolean {
  return FINAL_TASK_STATES.includes(state)
}

/** A finished run succeeded when none of its leaf tasks failed (Airflow's rule for DAG runs). */
export function runSucceeded(leafStates: readonly TaskState[]): boolean {
  return leafStates.every((s) => s === 'success' || s === 'skipped')
}

/** The delay before retry number `retry` (1-based): doubling from `first`, capped at `max` (seconds). */
export function backoffSeconds(first: number, max: number, retry: number): number {
  return Math.min(max, first * 2 ** (retry - 1))
}
