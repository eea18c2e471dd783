import { isIP } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Asof } from '../asof.js'
import { announceServer } from '../client/index.js'
import { buildApp } from './app.js'
import { Errors } from '../core/index.js'
import { startScheduler } from '../pipelines/index.js'

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return host === '::1'
}

export interface RunningServer {
  readonly app: FastifyInstance
  readonly url: string
  /** True when no key exists and the server answers without one (embedded, loopback only). */
  readonly open: boolean
  /** Stops accepting connections, drains in-flight requests, closes asof, removes the server file. */
  close(): Promise<void>
}

/**
 * Starts the service: builds the app, listens, writes `.asof/server.json` (embedded mode), and
 * drains and closes on SIGTERM/SIGINT. With no API key it runs open only in embedded mode on a
 * loopback address; anywhere else it refuses to start until a key exists. The pipelines
 * scheduler runs alongside unless turned off.
 */
export interface ServerOptions {
  host: string
  port: number
  /** Also run the pipelines scheduler in this process (default true; replicas fire each tick once). */
  scheduler?: boolean
  /** Drain and exit on SIGTERM/SIGINT (default true). */
  handleSignals?: boolean
}

/**
 * A superuser role turns a `sql` key into the database host's files (`pg_read_file`, `lo_export`):
 * said loudly at every start, with what to do instead.
 */
async function warnIfSuperuser(asof: Asof): Promise<void> {
  if (!asof.postgres) return
  const { role, superuser } = await asof.postgres.connectedRole()
  if (!superuser) return
  asof.log.warn({ role }, `SECURITY: asof serve connects to PostgreSQL as ${role}, a superuser: SQL sent with a key of scope sql runs as that role and can read and write files on the database host (pg_read_file, lo_export). Connect with a role that is not a superuser (ASOF_DATABASE_URL), and create sql keys only for people you would give that role.`)
}

export async function startServer(asof: Asof, options: ServerOptions): Promise<RunningServer> {
  const noKeys = !(await asof.keys.anyActive())
  const open = noKeys && asof.mode === 'embedded' && isLoopback(options.host)
  if (noKeys && !open) {
    throw Errors.unauthorized(`no API keys exist, and a server ${asof.mode === 'server' ? 'in server mode' : `on ${options.host}`} never runs open; create one first with \`asof keys create --scope admin\``)
  }
  const app = await buildApp(asof, { allowOpen: open })
  await warnIfSuperuser(asof)
  // Ready means ready: the embedded cache loads every online view before the port opens, so
  // the first requests do not wait for it.
  const started = performance.now()
  const preloaded = await asof.online.preload()
  if (asof.mode === 'embedded') asof.log.info({ views: preloaded.length, ms: Math.round(performance.now() - started) }, 'online cache loaded')
  await app.listen({ host: options.host, port: options.port }).catch(async (e: NodeJS.ErrnoException) => {
    await app.close()
    if (e.code !== 'EADDRINUSE') throw e
    throw Errors.badInput('--port', `port ${options.port} on ${options.host} is in use (another asof serve?); choose another with --port or ASOF_PORT`)
  })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : options.port
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`
  const scheduler = (options.scheduler ?? true) ? startScheduler(asof.pipelines) : undefined
  const withdraw = asof.mode === 'embedded' ? announceServer(asof.config.home, url) : undefined

  let closing: Promise<void> | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    asof.log.info({ signal }, 'shutting down: draining requests')
    void close().then(() => process.exit(0), (e) => {
      asof.log.error({ err: e }, 'shutdown failed')
      process.exit(1)
    })
  }
  const close = () => {
    closing ??= (async () => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      // fastify answers 503 to new requests and waits for in-flight ones before resolving.
      await app.close()
      await scheduler?.stop()
      withdraw?.()
      // runs triggered over the API still executing here: shown lost at once, for `asof pipeline resume`
      await asof.pipelines.interruptRuns('the server stopped while it ran')
      await asof.close()
    })()
    return closing
  }
  if (options.handleSignals ?? true) {
    process.once('SIGTERM', onSignal)
    process.once('SIGINT', onSignal)
  }
  return { app, url, open, close }
}
