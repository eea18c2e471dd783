import { useEffect, useState } from 'preact/hooks'
import { signal } from '@preact/signals'

/**
 * The console's only way to the server: the public REST API (/api/v1/…), with the key the user
 * gave kept in session storage (gone when the tab closes). The shapes below are the subset of the
 * API's JSON the pages read; the OpenAPI document at /docs/json has all of it.
 */

const KEY = 'asof.console.key'

export type Scope = 'read' | 'write' | 'admin'
export interface Session { scope: Scope; key_id: string | null; key_name: string | null; open: boolean }

/** The current session: undefined while unknown, null when a key is needed. */
export const session = signal<Session | null | undefined>(undefined)

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string | undefined, message: string) {
    super(message)
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = sessionStorage.getItem(KEY)
  return { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra }
}

/** A JSON request to the API; a problem document becomes an ApiError with its detail. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers: headers(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  if (response.status === 204) return undefined as T
  const text = await response.text()
  const body = text ? (JSON.parse(text) as unknown) : undefined
  if (!response.ok) {
    const problem = (body ?? {}) as { detail?: string; code?: string }
    if (response.status === 401) session.value = null
    throw new ApiError(response.status, problem.code, problem.detail ?? `${response.status} ${response.statusText}`)
  }
  return body as T
}

/** Asks the server what the stored key (or none) may do; null when a key is needed. */
export async function loadSession(): Promise<void> {
  try {
    const s = await api<Session | { scope: null }>('/api/v1/session')
    session.value = s.scope === null ? null : s as Session
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) session.value = null
    else throw e
  }
}

/** Tries a key: kept only when the server accepts it. */
export async function signIn(key: string): Promise<string | undefined> {
  sessionStorage.setItem(KEY, key)
  await loadSession()
  if (session.value) return undefined
  sessionStorage.removeItem(KEY)
  return 'the server did not accept this key'
}

export function signOut(): void {
  sessionStorage.removeItem(KEY)
  session.value = null
}

/** Whether the session may call write operations (trigger, resume, backfill, aliases). */
export function canWrite(s: Session | null | undefined): boolean {
  return s?.scope === 'write' || s?.scope === 'admin'
}

export interface Loaded<T> { data: T | undefined; error: Error | undefined; reload: () => void }

/**
 * GETs `path` (null: nothing yet) and re-renders with its JSON; `pollMs` fetches again on that
 * period while the component is shown (live runs).
 */
export function useApi<T>(path: string | null, pollMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; path?: string | null }>({})
  const [tick, setTick] = useState(0)
  useEffect(() => {
    if (path === null) return
    let live = true
    const fetchIt = () => api<T>(path).then(
      (data) => { if (live) setState({ data, path }) },
      (error: Error) => { if (live) setState((s) => ({ ...s, error, path })) },
    )
    void fetchIt()
    const timer = pollMs ? setInterval(() => void fetchIt(), pollMs) : undefined
    return () => { live = false; if (timer) clearInterval(timer) }
  }, [path, pollMs, tick])
  const current = state.path === path
  return { data: current ? state.data : undefined, error: current ? state.error : undefined, reload: () => setTick((t) => t + 1) }
}

export const enc = encodeURIComponent

// The API's JSON, as far as the pages read it.

export interface RegistrySummary { kind: string; name: string; current_version: number; spec_hash: string; created_at: string; updated_at: string }
export interface RegistryVersion { kind: string; name: string; version: number; spec: Record<string, unknown>; spec_hash: string; created_at: string }
export interface Checkpoint { name: string; description?: string; validations: { batch: unknown; suite: unknown }[] }
export interface ExpectationResult {
  expectation_config: { type: string; kwargs: Record<string, unknown>; meta?: unknown; severity?: string }
  success: boolean
  status?: string
  result: Record<string, unknown> & { observed_value?: unknown; unexpected_count?: number; partial_unexpected_list?: unknown[] }
  exception_info?: { raised_exception: boolean; exception_message: string | null }
}
export interface StoredResult {
  id: string; checkpoint: string | null; run_id: string | null; suite_name: string; suite_version: number | null
  batch: string; success: boolean; run_time: string
  result: { success: boolean; results: ExpectationResult[]; statistics?: Record<string, number> }
}
export interface TaskSpec { id: string; uses: string; depends_on: string[] }
export interface Pipeline { name: string; description?: string; params?: Record<string, unknown>; schedule?: string; tasks: TaskSpec[] }
export interface Run {
  id: string; pipeline: string; logical_date: string; state: string; trigger: string; params: Record<string, unknown> | string | null
  created_at: string; started_at: string | null; ended_at: string | null; note: string | null
}
export interface TaskInstance {
  run_id: string; task_id: string; map_index: number; state: string; attempt: number
  cached_from: string | null; output: string | null; error: string | null; started_at: string | null; ended_at: string | null
}
export interface RunSummary { run: Run; tasks: TaskInstance[] }
export interface RegisteredModel { name: string; description: string | null; latest_version: number; aliases: Record<string, number>; created_at: string; updated_at: string }
export interface ModelLineage {
  feature_views?: { name: string; version: number }[]
  feature_refs?: string[]
  dataset?: { uri: string; sha256: string; rows: number }
  checkpoint_result_ids?: string[]
  pipeline?: string
  pipeline_run?: string
}
export interface ModelVersion {
  name: string; version: number; run_id: string | null; description: string | null; aliases: string[]; tags: Record<string, string>
  metrics: Record<string, unknown> & { overall?: Record<string, number> }
  lineage: ModelLineage; training?: Record<string, unknown>; created_at: string
}
export interface MaterializationRun {
  id: string; view: string; version: number; start_ts: string; end_ts: string; status: string
  rows_read: number; rows_written: number; message: string | null; started_at: string; finished_at: string | null
}
