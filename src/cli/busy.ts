import { AsofError, Errors, loadConfig } from '../core/index.js'
import { readServerFile, type ServerFile } from '../client/index.js'

/**
 * When a command that runs only in process (the scheduler, `docs build`, the quickstart) hits
 * the DuckDB file lock, says which server holds it and what to do instead; other errors pass
 * through unchanged.
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
