import { loadConfig } from '../../core/index.js'
import { composeAsof, type Asof } from '../../asof.js'
import { startServer } from '../../api/index.js'
import { GateFailed, warnIfBlockedPort } from '../output.js'

/** Steps every example's quickstart starts with, printed as the matching command would. */
export type Say = (line?: string) => void

/** `asof apply`: every definition of the example repo, one line per object. */
export async function applyStep(asof: Asof, say: Say, step: number): Promise<void> {
  say(`${step}. asof apply`)
  const plan = await asof.featureStore.apply()
  for (const entry of plan.entries) say(`   ${entry.action.padEnd(9)} ${entry.kind} ${entry.name} (version ${entry.newVersion ?? entry.currentVersion})`)
}

/** `asof checkpoint run NAME`: a failing checkpoint stops the quickstart (exit 1), saying what it would have gated. */
export async function checkpointStep(asof: Asof, say: Say, step: number, name: string, gates: string): Promise<void> {
  say(`${step}. asof checkpoint run ${name}`)
  const checkpoint = await asof.checkpoints.runCheckpoint(name)
  for (const v of checkpoint.validations) {
    const s = v.statistics
    say(`   ${v.success ? 'passed' : 'FAILED'}: ${s.successful_expectations}/${s.evaluated_expectations} expectations of suite ${v.suite_name} on ${v.batch}`)
  }
  if (!checkpoint.success) throw new GateFailed(`the ${name} checkpoint failed: ${gates}`)
}

/**
 * Composes asof over the example repo, runs its flow, then (unless `serve` is false) serves the
 * API and prints `served(url)`'s lines. Once serving, the server owns asof and closes it when it
 * drains on SIGTERM/SIGINT; otherwise asof is closed here.
 */
export async function runThenServe(
  o: { dir: string; port?: number; serve: boolean; debug?: boolean; say: Say },
  flow: (asof: Asof) => Promise<void>,
  served: (url: string) => string[],
): Promise<void> {
  const config = loadConfig({ repoDir: o.dir, port: o.port, logLevel: o.debug ? 'debug' : 'warn' })
  const asof = await composeAsof(config)
  let serving = false
  try {
    await flow(asof)
    if (!o.serve) return
    warnIfBlockedPort(config.api.port)
    const server = await startServer(asof, { host: '127.0.0.1', port: config.api.port })
    serving = true
    o.say()
    o.say(`Serving ${asof.mode} mode on ${server.url} (Ctrl-C to stop)`)
    for (const line of served(server.url)) o.say(line)
  } finally {
    if (!serving) await asof.close()
  }
}
