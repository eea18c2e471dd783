import { loadConfig } from '../core/index.js'
import { openRepoClient, type AsofClient } from '../client/index.js'
import type { GlobalOptions } from './output.js'

/**
 * Runs a command's work on the client interface: the server given by `--url`/ASOF_URL, the
 * `asof serve` announced beside the repo, or the repo opened here; one code path either way.
 */
export async function withClient<T>(global: GlobalOptions, work: (client: AsofClient) => Promise<T>): Promise<T> {
  const client = await openRepoClient(loadConfig({ repoDir: global.repo, serverUrl: global.url }))
  try {
    return await work(client)
  } finally {
    await client.close()
  }
}
