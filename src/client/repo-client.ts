import type { AsofConfig } from '../core/index.js'
import type { AsofClient } from './client.js'
import { connectAsof } from './http-client.js'
import { findRunningServer } from './server-file.js'

/**
 * The client for a repo, chosen the way every CLI command chooses it: the server at
 * `config.serverUrl` (`--url`, ASOF_URL) when one is given; else the `asof serve` announced
 * beside the repo (it owns the embedded database); else the repo opened in process.
 */
export async function openRepoClient(config: AsofConfig): Promise<AsofClient> {
  if (config.serverUrl) return connectAsof(config.serverUrl, { apiKey: config.apiKey })
  const running = await findRunningServer(config)
  if (running) return connectAsof(running.url, { apiKey: config.apiKey })
  // Loaded only here: a command sent to a server never loads the engines.
  const { openAsof } = await import('./local-client.js')
  return openAsof(config)
}
