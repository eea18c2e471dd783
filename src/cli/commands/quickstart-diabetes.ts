import { cpSync, existsSync, readdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { Errors } from '../../core/index.js'
import { compareVersions, formatComparison } from '../../pipelines/index.js'
import type { Asof } from '../../asof.js'
import { GateFailed, globalOptions } from '../output.js'
import { applyStep, checkpointStep, runThenServe } from './quickstart-steps.js'

const EXAMPLE_REPO = fileURLToPath(new URL('../../../examples/diabetes', import.meta.url))
const PIPELINE = 'diabetes'
const MODEL = 'diabetes_progression'

export interface DiabetesQuickstartOptions {
  dir: string
  port?: string
  serve: boolean
  /** Overrides every experiment's `epochs` (a shorter run, e.g. in tests). */
  epochs?: number
}

/**
 * `asof quickstart --example diabetes`: copies `examples/diabetes` (the diabetes data with its
 * definitions, suites, checkpoints and experiment pipelines), applies it, runs the source's
 * checkpoint, runs every experiment's pipeline (extract → validate → preprocess → train →
 * evaluate → register), compares the experiments' versions by R², points `champion` at the best
 * one and prints the comparison; then serves the API unless `--no-serve`.
 */
export async function runDiabetesQuickstart(opts: DiabetesQuickstartOptions, cmd: Command): Promise<void> {
  const port = opts.port === undefined ? undefined : Number(opts.port)
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw Errors.badInput('--port', `expected a port number, got ${opts.port}`)
  const dir = resolve(opts.dir)
  if (existsSync(dir) && readdirSync(dir).length > 0) throw Errors.conflict(`--dir ${dir} exists and is not empty: give a new directory (the example's runs and models start from nothing)`)
  const say = (line = '') => process.stdout.write(`${line}\n`)
  say(`1. Example repo examples/diabetes → ${dir} (442 patients of Efron et al.'s diabetes data, BSD-3-Clause: see data/README.md)`)
  cpSync(EXAMPLE_REPO, dir, { recursive: true })

  await runThenServe({ dir, port, serve: opts.serve, debug: globalOptions(cmd).debug, say }, (asof) => runFlow(asof, say, opts.epochs), (url) => [
    `  Console (models side by side): ${url}/`,
    `  API docs (Swagger UI):         ${url}/docs`,
    `  The champion over HTTP:        curl -s ${url}/api/v1/models/${MODEL}/aliases/champion`,
  ])
}

async function runFlow(asof: Asof, say: (line?: string) => void, epochs: number | undefined): Promise<void> {
  await applyStep(asof, say, 2)
  await checkpointStep(asof, say, 3, 'patients', 'nothing is trained')

  const experiments = asof.pipelines.list().filter((p) => p.name.startsWith(`${PIPELINE}__`))
  const runIds: string[] = []
  say(`4. one pipeline per experiment (pipelines/experiments.yaml): ${experiments.map((p) => p.name).join(', ')}`)
  for (const [i, p] of experiments.entries()) {
    const params = { ...(epochs === undefined ? {} : { epochs }) }
    say(`   asof pipeline run ${p.name}${epochs === undefined ? '' : ` --param epochs=${epochs}`}  (learning_rate ${JSON.stringify(p.params.learning_rate)}, batch_size ${JSON.stringify(p.params.batch_size)}, hidden_units ${JSON.stringify(p.params.hidden_units)})`)
    const { run, tasks } = await asof.pipelines.run(p.name, { params })
    const states = [...tasks].sort((a, b) => (a.started_at ?? '').localeCompare(b.started_at ?? ''))
      .map((t) => `${t.task_id} ${t.state}${t.cached_from ? ' (cached)' : ''}`)
    say(`     ${i + 1}/${experiments.length} ${run.state}: ${states.join(' → ')}`)
    if (run.state !== 'success') throw new GateFailed(`the run ${run.id} of ${p.name} ended ${run.state}: ${run.note ?? ''}`.trimEnd())
    runIds.push(run.id)
  }

  // The versions these runs registered, compared by R² on the test split; the best becomes the champion.
  const compare = async () => compareVersions((await asof.models.search({ name: MODEL })).filter((v) => v.run_id !== null && runIds.includes(v.run_id)), { metric: 'r2', latestPerExperiment: true })
  const best = (await compare()).best
  if (best === null) throw new GateFailed(`no version of ${MODEL} reports r2`)
  await asof.models.setAlias(MODEL, 'champion', best)
  const final = await compare()
  const champion = final.versions.find((v) => v.version === final.best)!
  say(`5. asof models compare ${MODEL} (test split: R², MSE, MAE)`)
  for (const line of formatComparison(MODEL, final).trimEnd().split('\n')) say(`   ${line}`)
  say(`6. asof models promote ${MODEL} ${champion.version} --alias champion`)
  say(`   champion: ${MODEL}@${champion.version} (experiment ${champion.experiment}) r2=${champion.metrics.r2!.toFixed(3)} mse=${champion.metrics.mse!.toFixed(1)} mae=${champion.metrics.mae!.toFixed(1)}`)
  say(`   next: asof --repo ${asof.config.repoDir} models list --name ${MODEL}   |   models show ${MODEL}#champion`)
}
