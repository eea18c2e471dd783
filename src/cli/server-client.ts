import { AsofError, Errors, loadConfig, processAlive, type AsofConfig } from '../core/index.js'
import { kindForStatus, readServerFile, type ServerFile } from '../api/index.js'
import { openAsof, type Asof } from '../asof.js'

/**
 * A small client for a running `asof serve`: when the server holds the embedded database, CLI
 * commands send their work through the API instead of failing on the file lock.
 */
export class ServerClient {
  constructor(readonly url: string, private readonly apiKey?: string) {}

  /** Sends a JSON request; a problem+json answer becomes the AsofError it described. */
  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const text = await (await this.send(method, path, body, 'application/json')).text()
    return (text ? JSON.parse(text) : undefined) as T
  }

  /** Sends a JSON request and returns the answer's bytes (a dataset in the `accept` format). */
  async download(path: string, body: unknown, accept: string): Promise<Buffer> {
    return Buffer.from(await (await this.send('POST', path, body, accept)).arrayBuffer())
  }

  private async send(method: string, path: string, body: unknown, accept: string): Promise<Response> {
    const headers: Record<string, string> = { accept }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`
    let response: Response
    try {
      response = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    } catch (e) {
      throw new AsofError('ASOF_SERVER_UNREACHABLE', 'busy', `cannot reach the asof server at ${this.url}: ${(e as Error).message}`, undefined, { cause: e })
    }
    if (response.ok) return response
    const text = await response.text()
    let problem: { code?: string; detail?: string; field?: string } = {}
    try { problem = JSON.parse(text) } catch { /* not a problem document: report the status */ }
    const hint = response.status === 401 ? ' (set ASOF_API_KEY to a key made with `asof keys create`)' : ''
    throw new AsofError(problem.code ?? `HTTP_${response.status}`, kindForStatus(response.status),
      `server ${this.url}: ${problem.detail ?? `${response.status} ${response.statusText}`}${hint}`,
      problem.field ? { field: problem.field } : undefined)
  }
}

/**
 * The server announced in `<home>/server.json`, when its process is alive and `/health` answers
 * within a second; undefined otherwise (a stale file from a killed server is ignored).
 */
export async function findRunningServer(config: AsofConfig): Promise<ServerClient | undefined> {
  if (config.databaseUrl) return undefined // server mode: no file lock, the CLI opens PostgreSQL itself
  const file = readServerFile(config.home)
  if (!file || !processAlive(file.pid)) return undefined
  try {
    const r = await fetch(`${file.url}/health`, { signal: AbortSignal.timeout(1000) })
    if (!r.ok) return undefined
  } catch {
    return undefined
  }
  return new ServerClient(file.url, config.apiKey)
}

/**
 * Runs a command's work through a live server when one holds the embedded database, or
 * locally otherwise. The local path opens (and closes) asof itself.
 */
export async function withAsofOrServer<T>(
  config: AsofConfig,
  local: (asof: Asof) => Promise<T>,
  remote: (client: ServerClient) => Promise<T>,
): Promise<T> {
  const server = await findRunningServer(config)
  if (server) return remote(server)
  const asof = await openAsof(config)
  try {
    return await local(asof)
  } finally {
    await asof.close()
  }
}

/**
 * When a command that does not go through the API hits the DuckDB file lock, says which server
 * holds it and what to do instead; other errors pass through unchanged.
 */
export function explainBusy(e: AsofError, repoDir: string | undefined): AsofError {
  if (e.code !== Errors.busy.code) return e
  let file: ServerFile | undefined
  try {
    file = readServerFile(loadConfig({ repoDir }).home)
  } catch {
    return e
  }
  if (!file) return e
  return new AsofError(e.code, e.kind,
    `\`asof serve\` (pid ${file.pid}) holds this repo's database and serves it at ${file.url}; this command cannot run beside it. ` +
    `Use the REST API (${file.url}/docs), or stop the server (kill ${file.pid}) and run the command again.`,
    e.details, { cause: e })
}
