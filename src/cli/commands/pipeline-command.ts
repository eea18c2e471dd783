import type { Command } from 'commander'
import { z } from 'zod'
import { loadConfig, parseOrThrow } from '../../core/index.js'
import { startScheduler, topologicalOrder, type BackfillRequest, type BackfillResult, type JsonValue, type PipelineSpec, type RunRequest, type RunSummary, type RunView, type SchedulerRunEvent, type TaskRun } from '../../pipelines/index.js'
import { composeAsof } from '../../asof.js'
import { GateFailed, collect, globalOptions, parseParams, printJson, type GlobalOptions } from '../output.js'
import type { AsofClient } from '../../client/index.js'
import { withClient } from '../client.js'

/**
 * `asof pipeline list|run|resume|backfill|runs|show|scheduler`: the DAG runner and scheduler.
 * A run that ends failed exits 1, like a failed gate.
 */
export function register(program: Command): void {
  const pipeline = program.command('pipeline').description('pipelines: run, resume, backfill, inspect runs, schedule')

  pipeline.command('list')
    .description('list the pipelines defined in pipelines/*.yaml|json')
    .action(async (_opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd)
      const list = await withPipelines(global, async (s) => s.list())
      if (global.json) return printJson(list)
      if (list.length === 0) return void process.stdout.write('no pipelines (add pipelines/<name>.yaml)\n')
      for (const p of list) {
        const trigger = [p.schedule ? `cron ${p.schedule}${p.catchup ? ' catchup' : ''}` : '', p.sensors ? 'sensors' : ''].filter(Boolean).join(' + ') || 'manual'
        process.stdout.write(`${p.name}  ${p.tasks.length} tasks  ${trigger}  (${p.source})\n`)
      }
    })

  pipeline.command('run')
    .description('run a pipeline now and wait for it (re-running a logical date replaces its run)')
    .argument('<name>', 'pipeline name')
    .option('--param <key=value>', 'override a pipeline parameter (value read as JSON when it parses, else text; repeatable)', collect, [])
    .option('--date <logical-date>', 'the logical date (ISO-8601; default now)')
    .option('--no-cache', 'do not reuse cached task outputs in this run')
    .action(async (name: string, opts: { param: string[]; date?: string; cache: boolean }, cmd: Command) => {
      const global = globalOptions(cmd)
      const params = parseParams(opts.param) as Record<string, JsonValue>
      const summary = await withPipelines(global, (s) => s.run(name, { params, logicalDate: opts.date, cache: opts.cache }))
      report(summary, global)
    })

  pipeline.command('resume')
    .description('finish a run interrupted by a crash: completed tasks are kept, the rest run')
    .argument('<run>', 'run id (from `asof pipeline runs`)')
    .action(async (runId: string, _opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd)
      report(await withPipelines(global, (s) => s.resume(runId)), global)
    })

  pipeline.command('backfill')
    .description('run every scheduled logical date from --from to --to (inclusive); succeeded dates are skipped unless --rerun-succeeded')
    .argument('<name>', 'pipeline name')
    .requiredOption('--from <time>', 'first logical date (ISO-8601)')
    .requiredOption('--to <time>', 'last logical date (ISO-8601)')
    .option('--rerun-succeeded', 'also re-run dates whose run succeeded')
    .option('--no-cache', 'do not reuse cached task outputs')
    .action(async (name: string, opts: { from: string; to: string; rerunSucceeded?: boolean; cache: boolean }, cmd: Command) => {
      const global = globalOptions(cmd)
      const result = await withPipelines(global, (s) => s.backfill(name, { from: opts.from, to: opts.to, rerunSucceeded: opts.rerunSucceeded, cache: opts.cache }))
      const failed = result.runs.filter((r) => r.run.state !== 'success')
      if (global.json) printJson({ runs: result.runs.map((r) => r.run), skipped: result.skipped })
      else {
        for (const r of result.runs) process.stdout.write(`${runLine(r.run)}\n`)
        for (const d of result.skipped) process.stdout.write(`${d}  skipped (succeeded before; --rerun-succeeded to run again)\n`)
        process.stdout.write(`${result.runs.length} runs, ${failed.length} failed, ${result.skipped.length} skipped\n`)
      }
      if (failed.length) throw new GateFailed()
    })

  pipeline.command('runs')
    .description('list runs, newest logical date first')
    .argument('[name]', 'only this pipeline')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (name: string | undefined, opts: { limit: string }, cmd: Command) => {
      const global = globalOptions(cmd)
      const limit = parseOrThrow(z.coerce.number().int().positive(), opts.limit, '--limit')
      const runs = await withPipelines(global, (s) => s.runs({ pipeline: name, limit }))
      if (global.json) return printJson(runs)
      if (runs.length === 0) return void process.stdout.write('no runs\n')
      for (const r of runs) process.stdout.write(`${runLine(r)}\n`)
    })

  pipeline.command('show')
    .description('show a run and its task instances')
    .argument('<run>', 'run id')
    .action(async (runId: string, _opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd)
      const summary = await withPipelines(global, (s) => s.show(runId))
      if (global.json) return printJson(summary)
      process.stdout.write(describe(summary))
    })

  pipeline.command('scheduler')
    .description('run the scheduler in the foreground (cron ticks, catchup, sensors) until interrupted')
    .option('--poll <seconds>', 'seconds between ticks (1-59)', '30')
    .action(async (opts: { poll: string }, cmd: Command) => {
      const global = globalOptions(cmd)
      const pollSeconds = parseOrThrow(z.coerce.number().int().min(1).max(59), opts.poll, '--poll')
      const asof = await composeAsof(loadConfig({ repoDir: global.repo }))
      const scheduler = startScheduler(asof.pipelines, { pollSeconds, onRun: (e) => process.stderr.write(`${schedulerLine(e)}\n`) })
      process.stderr.write(`asof scheduler: ${asof.pipelines.list().filter((p) => p.schedule || p.sensors).length} scheduled pipelines, ticking every ${pollSeconds}s (Ctrl-C stops)\n`)
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      await scheduler.stop()
      await asof.close()
    })
}

/** What the commands need from pipelines, on the client interface (in process or a server's). */
interface Pipelines {
  list(): Promise<PipelineSpec[]>
  run(name: string, request: RunRequest): Promise<RunSummary>
  resume(runId: string): Promise<RunSummary>
  backfill(name: string, request: BackfillRequest): Promise<BackfillResult>
  runs(filter: { pipeline?: string; limit?: number }): Promise<RunView[]>
  show(runId: string): Promise<RunSummary>
}

function withPipelines<T>(global: GlobalOptions, work: (pipelines: Pipelines) => Promise<T>): Promise<T> {
  return withClient(global, (client) => work(pipelinesOf(client)))
}

function pipelinesOf(client: AsofClient): Pipelines {
  const p = client.pipelines
  return {
    list: async () => (await p.list()).pipelines,
    run: (name, r) => p.run({ name, params: r.params, logical_date: r.logicalDate, cache: r.cache }),
    resume: (id) => p.resume({ id }),
    backfill: (name, r) => p.backfill({ name, from: r.from, to: r.to, rerun_succeeded: r.rerunSucceeded ?? false, cache: r.cache }),
    runs: async (f) => (await p.runs(f)).runs,
    show: (id) => p.show({ id }),
  }
}

/** What the foreground scheduler prints as it starts and ends runs (Airflow's scheduler logs each DagRun it creates). */
function schedulerLine(e: SchedulerRunEvent): string {
  const at = new Date().toISOString().slice(0, 19) + 'Z'
  const run = `${e.run.pipeline} ${e.run.logical_date} (${e.run.trigger}) as run ${e.run.id}`
  if (e.kind === 'ended') return `${at} asof scheduler: ended ${run}: ${e.state}${e.note ? ` — ${e.note}` : ''}`
  return `${at} asof scheduler: ${e.kind === 'fired' ? 'fired' : 'adopted queued'} ${run}`
}

function runLine(r: RunView): string {
  const lost = r.worker_lost ? `  worker lost (${r.worker ?? 'no worker recorded'}, last heartbeat ${r.heartbeat_at ?? 'never'}): asof pipeline resume ${r.id}` : ''
  return `${r.id}  ${r.pipeline}  ${r.logical_date}  ${r.state.padEnd(7)}  ${r.trigger}${r.note ? `  ${r.note}` : ''}${lost}`
}

function taskLine(t: TaskRun): string {
  const id = t.map_index >= 0 ? `${t.task_id}[${t.map_index}]` : t.task_id
  const cached = t.cached_from ? `(cached from ${t.cached_from})` : ''
  const tries = t.attempt > 1 ? `${t.attempt} tries` : ''
  return `  ${id.padEnd(24)} ${[t.state.padEnd(15), tries, cached, t.error ?? ''].filter(Boolean).join('  ')}`.trimEnd()
}

/** A run and its task instances, in the order the DAG runs them. */
function describe(s: RunSummary): string {
  const r = s.run
  const order = topologicalOrder(r.definition)
  const tasks = [...s.tasks].sort((a, b) => order.indexOf(a.task_id) - order.indexOf(b.task_id) || a.map_index - b.map_index)
  return [
    runLine(r),
    `  data interval ${r.data_interval_start} → ${r.data_interval_end}; params ${typeof r.params === 'string' ? r.params : JSON.stringify(r.params)}`,
    ...tasks.map(taskLine),
    '',
  ].join('\n')
}

/** Prints a finished run; a failed run, or one whose worker was lost, is exit 1. */
function report(summary: RunSummary, global: GlobalOptions): void {
  if (global.json) printJson(summary)
  else process.stdout.write(describe(summary))
  if (summary.run.state === 'failed' || summary.run.worker_lost) throw new GateFailed()
}
