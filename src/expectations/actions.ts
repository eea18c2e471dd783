import { z } from 'zod'
import { Errors } from '../core/index.js'

/**
 * What a checkpoint does after its validations, as GX checkpoint actions (a zod discriminated union on
 * `type`, GX's `checkpoint/actions.py` idea): store each result, record every computed metric, render
 * the data docs, call a webhook.
 */
export const checkpointActionSchema = z.discriminatedUnion('type', [
  /** Store each validation result (with batch, suite version and time): what gates read. */
  z.object({ type: z.literal('store_result') }).strict(),
  /** Store every metric the validations computed: the history that anomaly and interval checks read. */
  z.object({ type: z.literal('record_metrics') }).strict(),
  /** Re-render the static data docs (all stored results). `output`: default `<ASOF_HOME>/data-docs`. */
  z.object({ type: z.literal('render_data_docs'), output: z.string().min(1).optional() }).strict(),
  /** POST the run's summary as JSON. */
  z.object({
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).default({}),
    /** Give up after this long; the checkpoint's outcome does not change, the action reports the error. */
    timeout_ms: z.number().int().positive().max(120_000).default(10_000),
    /** `all` (default), `failure` or `success`: which runs notify. */
    notify_on: z.enum(['all', 'failure', 'success']).default('all'),
  }).strict(),
])
export type CheckpointAction = z.infer<typeof checkpointActionSchema>
export type CheckpointActionType = CheckpointAction['type']

/** The default when a checkpoint lists no actions: keep the results and the metric history. */
export const DEFAULT_ACTIONS: readonly CheckpointAction[] = [{ type: 'store_result' }, { type: 'record_metrics' }]

/** How an action went. */
export interface ActionOutcome {
  readonly type: CheckpointActionType
  readonly ok: boolean
  /** Why it was skipped or failed; the path written; the HTTP status. */
  readonly detail?: string
}

/** POSTs `body` as JSON to the webhook; resolves to the HTTP status, throws on a network error, timeout or non-2xx. */
export async function postWebhook(action: Extract<CheckpointAction, { type: 'webhook' }>, body: unknown): Promise<number> {
  let response: Response
  try {
    response = await fetch(action.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'asof-checkpoint', ...action.headers },
      body: JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
      signal: AbortSignal.timeout(action.timeout_ms),
      redirect: 'error',
    })
  } catch (e) {
    const reason = (e as Error).name === 'TimeoutError' ? `no answer within ${action.timeout_ms} ms` : (e as Error).message
    throw Errors.busy(`webhook ${action.url}: ${reason}`)
  }
  await response.arrayBuffer().catch(() => undefined)
  if (!response.ok) throw Errors.busy(`webhook ${action.url}: HTTP ${response.status}`)
  return response.status
}

/** Whether a webhook fires for a run with this outcome. */
export function webhookFires(action: Extract<CheckpointAction, { type: 'webhook' }>, success: boolean): boolean {
  return action.notify_on === 'all' || (action.notify_on === 'success') === success
}
