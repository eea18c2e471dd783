import type { RecordBatch } from 'apache-arrow'
import { Errors, isAsofError, parseOrThrow } from '../core/index.js'
import type { RunSummary } from '../pipelines/index.js'
import type { AsofClient } from './client.js'
import { contract, type HistoricalInput } from './contract.js'
import { operations, pathParams, type Operation } from './operation.js'
import { errorFromProblem } from './problem.js'

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream'

export interface ConnectOptions {
  /** Sent as `Authorization: Bearer <key>` (ASOF_API_KEY for the CLI). */
  apiKey?: string
  /** Attempts for an idempotent read (GET) that met a network error or a 502/503/504 (default 3). */
  attempts?: number
  /** How long one request may wait for its answer's headers, in ms (default none: runs and datasets take long). */
  timeoutMs?: number
}

/** Statuses a retried read may see go away: the server restarting, a proxy in front of it. */
const TRANSIENT = new Set([502, 503, 504])
const RUN_GOING: ReadonlySet<string> = new Set(['queued', 'running'])

/**
 * The HTTP implementation of the client interface, for a running `asof serve`: every operation's
 * request is built from the contract (path parameters, then the query string or the JSON body),
 * problem+json answers become the same AsofErrors a local call throws, idempotent reads are
 * retried, and datasets arrive as an Arrow IPC stream read batch by batch.
 */
export function connectAsof(url: string, options: ConnectOptions = {}): AsofClient {
  const base = url.replace(/\/+$/, '')
  const attempts = Math.max(1, options.attempts ?? 3)

  const send = async (method: string, path: string, body: unknown, accept: string): Promise<Response> => {
    const headers: Record<string, string> = { accept }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`
    const tries = method === 'GET' ? attempts : 1
    for (let attempt = 1; ; attempt++) {
      let response: Response
      try {
        response = await fetch(base + path, {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body),
          ...(options.timeoutMs ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
        })
      } catch (e) {
        if (attempt < tries) { await pause(attempt); continue }
        throw Object.assign(Errors.serverUnreachable(base, (e as Error).message), { cause: e })
      }
      if (response.ok) return response
      if (attempt < tries && TRANSIENT.has(response.status)) { await response.body?.cancel(); await pause(attempt); continue }
      throw errorFromProblem(response.status, response.statusText, await response.text(), base)
    }
  }

  const call = async (operation: Operation, input: Record<string, unknown> = {}, accept = 'application/json'): Promise<Response> => {
    // Bad input fails here with the message a local call gives, and no request is sent.
    parseOrThrow(operation.input, input, nameOf.get(operation)!)
    const params = new Set(pathParams(operation.path))
    const path = operation.path.replace(/:([A-Za-z_]+)/g, (_m, key: string) => {
      const value = input[key]
      if (value === undefined || value === '') throw Errors.badInput(key, 'is required')
      return encodeURIComponent(String(value))
    })
    const rest = Object.fromEntries(Object.entries(input).filter(([k, v]) => !params.has(k) && v !== undefined))
    if (operation.method === 'GET' || operation.method === 'DELETE') {
      const query = new URLSearchParams()
      for (const [k, v] of Object.entries(rest)) query.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v))
      const qs = query.toString()
      return send(operation.method, qs ? `${path}?${qs}` : path, undefined, accept)
    }
    return send(operation.method, path, operation.body ? rest[operation.body] : rest, accept)
  }

  const json = async (operation: Operation, input?: Record<string, unknown>): Promise<unknown> => {
    const text = await (await call(operation, input)).text()
    return text ? JSON.parse(text) : undefined
  }

  const groups: Record<string, Record<string, (input?: Record<string, unknown>) => Promise<unknown>>> = {}
  const nameOf = new Map<Operation, string>()
  for (const { group, name, operation } of operations(contract)) {
    nameOf.set(operation, `${group}.${name}`)
    ;(groups[group] ??= {})[name] = (input) => json(operation, input)
  }

  // Runs answer 202 at once over HTTP; the client waits for their end, as a local call does.
  const show = (id: string) => json(contract.pipelines.show, { id }) as Promise<RunSummary>
  const untilEnded = async (started: RunSummary): Promise<RunSummary> => {
    let summary = started
    for (let polls = 0; RUN_GOING.has(summary.run.state) && !summary.run.worker_lost; polls++) {
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** polls)))
      summary = await show(summary.run.id)
    }
    return summary
  }
  const pipelines = {
    ...groups.pipelines,
    run: async (input?: Record<string, unknown>) => untilEnded(await json(contract.pipelines.run, input) as RunSummary),
    resume: async (input?: Record<string, unknown>) => untilEnded(await json(contract.pipelines.resume, input) as RunSummary),
    backfill: async (input?: Record<string, unknown>) => {
      const started = await json(contract.pipelines.backfill, input) as { runs: RunSummary[]; skipped: string[] }
      const runs: RunSummary[] = []
      for (const run of started.runs) runs.push(await untilEnded(run)) // they run oldest first, one at a time
      return { runs, skipped: started.skipped }
    },
  }

  const batches = async function* (input: HistoricalInput): AsyncGenerator<RecordBatch> {
    const response = await call(contract.historical.retrieve, input as Record<string, unknown>, ARROW_STREAM)
    // Loaded here: apache-arrow is only for datasets.
    const { RecordBatchReader } = await import('apache-arrow')
    try {
      for await (const batch of await RecordBatchReader.from(response.body!)) yield batch
    } catch (e) {
      if (isAsofError(e)) throw e
      throw Object.assign(Errors.serverUnreachable(base, `the dataset stream broke off: ${(e as Error).message}`), { cause: e })
    }
  }

  return {
    ...(groups as unknown as Omit<AsofClient, 'historical' | 'pipelines' | 'target' | 'close'>),
    pipelines: pipelines as unknown as AsofClient['pipelines'],
    historical: {
      batches,
      table: (input) => collectTable(batches(input)),
      records: (input) => json(contract.historical.retrieve, input as Record<string, unknown>) as Promise<Record<string, unknown>[]>,
      write: async (input, path) => {
        // Loaded here: a client that only reads online features never loads DuckDB.
        const { outputFormatOf, writeDatasetBatches } = await import('../featurestore/index.js')
        outputFormatOf(path) // a bad extension is refused before the request
        return writeDatasetBatches(batches(input), path)
      },
    },
    target: base,
    close: async () => {},
  }
}

/** Every batch of a stream, as one Arrow table. */
export async function collectTable(batches: AsyncIterable<RecordBatch>) {
  const all: RecordBatch[] = []
  for await (const b of batches) all.push(b)
  const { Table } = await import('apache-arrow')
  return new Table(all)
}

function pause(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)))
}
