import type { RecordBatch, Table } from 'apache-arrow'
import type { z } from 'zod'
import type { AsofContract, HistoricalInput } from './contract.js'
import type { ClientOf, Operation } from './operation.js'

/**
 * Point-in-time retrieval (training data), as Feast's `get_historical_features`: the dataset as a
 * stream of Arrow record batches, a whole Arrow table, or a file.
 */
export interface HistoricalClient {
  /** The dataset's record batches, as they arrive (over HTTP: an Arrow IPC stream, read incrementally). */
  batches(input: HistoricalInput): AsyncIterable<RecordBatch>
  /** The whole dataset as one Arrow table. */
  table(input: HistoricalInput): Promise<Table>
  /** The dataset as records (JSON values; timestamps as ISO-8601 strings). */
  records(input: HistoricalInput): Promise<Record<string, unknown>[]>
  /** Writes the dataset to `.parquet`, `.csv`, `.json` or `.arrow` (by extension) on this machine. */
  write(input: HistoricalInput, path: string): Promise<{ rows: number; columns: string[] }>
}

/**
 * Everything a user does with asof, one interface with two implementations: `openAsof({repo})`
 * (in process) and `connectAsof(url, {apiKey})` (a running `asof serve`). Each method's input and
 * output are the zod schemas of `contract.ts`, which also define the REST routes.
 */
export type AsofClient = Omit<ClientOf<AsofContract>, 'historical'> & {
  readonly historical: HistoricalClient
  /** Where calls go: `in-process (embedded|server mode)` or the server's URL. */
  readonly target: string
  /** Releases what the client holds (the database files and connections, in process). */
  close(): Promise<void>
}

/** What the client method `client[G][N]` takes, as a caller writes it: `AsofInput<'online', 'get'>`. */
export type AsofInput<G extends keyof AsofContract, N extends keyof AsofContract[G]> =
  AsofContract[G][N] extends Operation<infer I, z.ZodType> ? z.input<I> : never

/** What the client method `client[G][N]` resolves to: `AsofOutput<'models', 'list'>`. */
export type AsofOutput<G extends keyof AsofContract, N extends keyof AsofContract[G]> =
  AsofContract[G][N] extends Operation<z.ZodType, infer O> ? z.output<O> : never
