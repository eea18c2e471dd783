import { loadConfig, parseOrThrow, type AsofConfig, type ConfigOverrides, type Logger } from '../core/index.js'
import type { Asof } from '../asof.js'
import type { AsofClient } from './client.js'
import { contract, historicalInput } from './contract.js'
import { handlers, retrievalRequest } from './handlers.js'
import { collectTable } from './http-client.js'
import { operations } from './operation.js'

/** Where `openAsof` finds the repo: the feature repo directory, and optionally the rest of the configuration. */
export interface OpenOptions extends Omit<ConfigOverrides, 'repoDir'> {
  /** The feature repo directory (default: ASOF_REPO, else the current directory). */
  repo?: string
  logLevel?: string
  log?: Logger
}

/**
 * The in-process implementation of the client interface: opens the repo's database (embedded
 * DuckDB, or PostgreSQL with `databaseUrl`) and runs every operation here. Inputs are parsed by
 * the same zod schemas the REST routes use; the errors are the same AsofErrors.
 */
export async function openAsof(options: OpenOptions | AsofConfig = {}): Promise<AsofClient> {
  const config = 'api' in options ? options : loadConfig({ ...options, repoDir: options.repo })
  // Loaded here, not with the module: the client SDK's index (and a command sent to a server) never loads the engines and services.
  const { composeAsof } = await import('../asof.js')
  const asof = await composeAsof(config, { log: 'log' in options ? options.log : undefined })
  return localClient(asof, { owned: true })
}

/** The client over services composed elsewhere (`asof serve` gives its own to the routes); `owned`: close them with the client. */
export function localClient(asof: Asof, { owned }: { owned: boolean }): AsofClient {
  const groups: Record<string, Record<string, (input?: unknown) => Promise<unknown>>> = {}
  for (const { group, name, operation } of operations(contract)) {
    const handle = (handlers as unknown as Record<string, Record<string, (a: Asof, i: unknown) => Promise<unknown>>>)[group]![name]!
    ;(groups[group] ??= {})[name] = async (input) => handle(asof, parseOrThrow(operation.input, input ?? {}, `${group}.${name}`))
  }
  const request = (input: unknown) => retrievalRequest(asof, parseOrThrow(historicalInput, input, 'historical.retrieve'), false)
  const batches = async function* (input: unknown) {
    yield* await asof.featureStore.historicalBatches(request(input))
  }
  return {
    ...(groups as unknown as Omit<AsofClient, 'historical' | 'target' | 'close'>),
    historical: {
      batches,
      table: (input) => collectTable(batches(input)),
      records: async (input) => (await asof.featureStore.historical(request(input))).rows,
      write: async (input, path) => {
        const { rows, columns } = await asof.featureStore.writeHistorical(request(input), path)
        return { rows, columns }
      },
    },
    target: `in-process (${asof.mode} mode, repo ${asof.config.repoDir})`,
    close: () => (owned ? asof.close() : Promise.resolve()),
  }
}
