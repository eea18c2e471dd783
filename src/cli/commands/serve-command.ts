import type { Command } from 'commander'
import { DEFAULT_API_PORT, loadConfig } from '../../core/index.js'
import { composeAsof } from '../../asof.js'
import { startServer } from '../../api/index.js'
import { globalOptions, warnIfBlockedPort } from '../output.js'

/** `asof serve [--host H] [--port P]`: the REST API and Feast-compatible online serving. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the REST API, Feast-compatible online features and /docs until SIGTERM/SIGINT')
    .option('--host <host>', 'address to listen on (default 127.0.0.1, or ASOF_HOST)')
    .option('--port <port>', `port to listen on (default ${DEFAULT_API_PORT}, or ASOF_PORT; 0 picks a free one)`)
    .option('--no-scheduler', 'do not run the pipelines scheduler in this process')
    .action(async (opts: { host?: string; port?: string; scheduler: boolean }, cmd: Command) => {
      const global = globalOptions(cmd)
      const config = loadConfig({ repoDir: global.repo, host: opts.host, port: opts.port === undefined ? undefined : Number(opts.port) })
      warnIfBlockedPort(config.api.port)
      const asof = await composeAsof(config)
      let server
      try {
        server = await startServer(asof, { host: config.api.host, port: config.api.port, scheduler: opts.scheduler })
      } catch (e) {
        await asof.close()
        throw e
      }
      const lines = [
        `asof serving ${asof.mode} mode on ${server.url}`,
        `  API docs: ${server.url}/docs   metrics: ${server.url}/metrics   health: ${server.url}/health`,
        `  pipelines scheduler: ${opts.scheduler ? 'running' : 'off'}`,
        server.open
          ? '  OPEN: no API keys exist, so anyone on this machine can call every route (create one with `asof keys create --scope admin` to require keys)'
          : '  API keys required: send `Authorization: Bearer <key>` or `x-api-key: <key>`',
      ]
      if (global.json) process.stdout.write(`${JSON.stringify({ url: server.url, mode: asof.mode, open: server.open, pid: process.pid })}\n`)
      else process.stdout.write(`${lines.join('\n')}\n`)
      // The process now lives until a signal: startServer drains requests and closes asof then.
    })
}
