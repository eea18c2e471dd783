import { copyFileSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { DEFAULT_API_PORT, Errors } from '../../core/index.js'
import { generateExampleRepo } from '../../featurestore/index.js'
import { TRAINING_PIPELINE_TEMPLATE } from '../../pipelines/index.js'
import type { Asof } from '../../asof.js'
import { GateFailed, globalOptions } from '../output.js'
import { runDiabetesQuickstart } from './quickstart-diabetes.js'
import { applyStep, checkpointStep, runThenServe } from './quickstart-steps.js'

interface QuickstartOptions {
  dir: string
  drivers: string
  hours: string
  port?: string
  serve: boolean
  example: string
  epochs?: string
}

/** The example repos `--example` runs; the driver repo is the default. */
const EXAMPLES = ['driver', 'diabetes'] as const

const FEATURES = ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:acc_rate', 'driver_hourly_stats:avg_daily_trips']

/**
 * `asof quickstart` (what `npm start` runs): builds the example driver repo with generated data
 * ending at the current hour, then walks the whole flow — apply, validate with a checkpoint,
 * retrieve a point-in-time training dataset, materialize, read online, train and register a
 * model — printing what each step did, and finally serves the API with a working curl example.
 */
export function register(program: Command): void {
  program
    .command('quickstart')
    .description('create the example repo with generated data and run the whole flow, then serve it')
    .option('--dir <dir>', 'where to create the example repo', 'quickstart')
    .option('--drivers <n>', 'drivers in the generated data', '100')
    .option('--hours <n>', 'hours of data per driver', '500')
    .option('--port <port>', `port to serve on (default ${DEFAULT_API_PORT}, or ASOF_PORT; 0 picks a free one)`)
    .option('--no-serve', 'stop after the flow instead of serving')
    .option('--example <name>', `the example to run: ${EXAMPLES.join(', ')}`, 'driver')
    .option('--epochs <n>', 'diabetes: training epochs of every experiment (default: the pipeline\'s)')
    .action(async (opts: QuickstartOptions, cmd: Command) => {
      if (!(EXAMPLES as readonly string[]).includes(opts.example)) throw Errors.badInput('--example', `unknown example ${JSON.stringify(opts.example)}; known: ${EXAMPLES.join(', ')}`)
      if (opts.example === 'diabetes') {
        const epochs = opts.epochs === undefined ? undefined : positiveInt(opts.epochs, '--epochs')
        return runDiabetesQuickstart({ dir: opts.dir === 'quickstart' ? 'quickstart-diabetes' : opts.dir, port: opts.port, serve: opts.serve, epochs }, cmd)
      }
      const drivers = positiveInt(opts.drivers, '--drivers')
      const hours = positiveInt(opts.hours, '--hours')
      const port = opts.port === undefined ? undefined : Number(opts.port)
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw Errors.badInput('--port', `expected a port number, got ${opts.port}`)
      const dir = resolve(opts.dir)
      const say = (line = '') => process.stdout.write(`${line}\n`)

      // Data ends at the current hour so online reads are fresh (PRESENT, not OUTSIDE_MAX_AGE).
      const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000)
      const start = new Date(end.getTime() - (hours - 1) * 3_600_000)
      say(`1. Example feature repo in ${dir}`)
      await generateExampleRepo(dir, { rows: drivers * hours, drivers, entityRows: Math.min(20_000, drivers * hours / 5), start: start.toISOString() })
      mkdirSync(join(dir, 'pipelines'), { recursive: true })
      copyFileSync(TRAINING_PIPELINE_TEMPLATE, join(dir, 'pipelines', 'training.yaml'))
      say(`   generated ${drivers * hours} hourly driver statistics for ${drivers} drivers (${start.toISOString()} … ${end.toISOString()})`)

      await runThenServe({ dir, port, serve: opts.serve, debug: globalOptions(cmd).debug, say }, (asof) => runFlow(asof, { say, start, end }), (url) => [
        `  API docs (Swagger UI): ${url}/docs`,
        `  OpenAPI document:      ${url}/docs/json`,
        `  Prometheus metrics:    ${url}/metrics`,
        '  Try the Feast-compatible online endpoint:',
        `curl -s -X POST ${url}/get-online-features -H 'Content-Type: application/json' -d '${JSON.stringify({ features: FEATURES, entities: { driver_id: [1001, 1002] } })}'`,
      ])
    })
}

async function runFlow(asof: Asof, { say, start, end }: { say: (line?: string) => void; start: Date; end: Date }): Promise<void> {
  await applyStep(asof, say, 2)
  await checkpointStep(asof, say, 3, 'driver_stats', 'nothing is materialized or trained')

  say('4. asof historical (point-in-time training dataset)')
  const datasetPath = join(asof.config.repoDir, 'data', 'training_dataset.parquet')
  const dataset = await asof.featureStore.writeHistorical(
    { entities: { kind: 'file', path: join(asof.config.repoDir, 'data', 'driver_entities.parquet') }, features: FEATURES },
    datasetPath,
  )
  say(`   ${dataset.rows} rows × [${dataset.columns.join(', ')}] → ${datasetPath}`)

  say(`5. asof materialize ${start.toISOString()} ${end.toISOString()}`)
  const report = await asof.online.materialize(start.toISOString(), end.toISOString())
  for (const v of report.views) say(`   ${v.view}@${v.version}: ${v.rowsRead} entities read, ${v.rowsWritten} written to the online store`)

  say('6. asof online --features … --entity driver_id=1001 --entity driver_id=1002')
  const online = await asof.online.getOnlineFeatures({ features: FEATURES, entities: { driver_id: [1001, 1002] } })
  for (const [i, name] of online.metadata.feature_names.entries()) {
    const column = online.results[i]!
    say(`   ${name.padEnd(16)} ${column.values.map((v, j) => `${JSON.stringify(v)} (${column.statuses[j]})`).join('   ')}`)
  }

  say('7. asof pipeline run training (extract → validate → prepare → train → evaluate → validate model → register)')
  const { run, tasks } = await asof.pipelines.run('training')
  const inRunOrder = [...tasks].sort((a, b) => (a.started_at ?? '').localeCompare(b.started_at ?? ''))
  for (const t of inRunOrder) say(`   ${t.task_id.padEnd(15)} ${t.state}${t.cached_from ? ' (cached)' : ''}`)
  if (run.state !== 'success') throw new GateFailed(`the training run ${run.id} ended ${run.state}`)
  const model = await asof.models.getModel('driver_trip_model')
  const version = await asof.models.getVersion(model.name, model.latest_version)
  say(`   registered ${version.name} version ${version.version} (aliases: ${version.aliases.join(', ') || 'none'})`)
  say(`   metrics: ${Object.entries(version.metrics.overall).map(([k, v]) => `${k}=${v.toFixed(3)}`).join(' ')}`)
  say(`   lineage: ${JSON.stringify(version.lineage)}`)
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw Errors.badInput(flag, `expected a positive whole number, got ${value}`)
  return n
}
