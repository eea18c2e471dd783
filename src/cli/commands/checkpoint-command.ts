import type { Command } from 'commander'
import { z } from 'zod'
import { parseOrThrow } from '../../core/index.js'
import type { CheckpointRun } from '../../expectations/index.js'
import { GateFailed, collect, globalOptions, parseParams, printJson } from '../output.js'
import { withClient } from '../client.js'

/**
 * `asof checkpoint run NAME | list | results NAME`: checkpoints from `<repo>/checkpoints/*.json`.
 * `run` exits 1 when the checkpoint fails and its `fail_on_validation_failure` is on (the default).
 */
export function register(program: Command): void {
  const checkpoint = program.command('checkpoint').description('run checkpoints (validations + actions) and read their stored results')

  checkpoint.command('run')
    .description('run a checkpoint: validate each batch with its suite, store results and metrics, run its actions')
    .argument('<name>', 'checkpoint name (checkpoints/NAME.json)')
    .option('--param <key=value>', 'an evaluation parameter (repeatable; values are JSON when they parse, else strings)', collect, [])
    .action(async (name: string, opts: { param: string[] }, cmd: Command) => {
      const global = globalOptions(cmd)
      const parameters = parseParams(opts.param)
      const run = await withClient(global, (client) => client.checkpoints.run({ name, parameters }))
      if (global.json) printJson(run)
      else process.stdout.write(describeRun(run))
      if (!run.success && run.fail_on_validation_failure) throw new GateFailed()
    })

  checkpoint.command('list')
    .description('list the checkpoints of the repo')
    .action(async (_opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd)
      const { checkpoints: configs } = await withClient(global, (client) => client.checkpoints.list())
      if (global.json) return printJson(configs)
      if (configs.length === 0) return void process.stdout.write('no checkpoints (add checkpoints/NAME.json)\n')
      for (const c of configs) {
        const suites = c.validations.map((v) => (typeof v.suite === 'string' ? v.suite : v.suite.path))
        process.stdout.write(`${c.name}  ${c.validations.length} validation(s): ${suites.join(', ')}\n`)
      }
    })

  checkpoint.command('results')
    .description('stored results of a checkpoint, newest first')
    .argument('<name>', 'checkpoint name')
    .option('--limit <n>', 'at most this many results', '20')
    .action(async (name: string, opts: { limit: string }, cmd: Command) => {
      const global = globalOptions(cmd)
      const limit = parseOrThrow(z.coerce.number().int().positive(), opts.limit, '--limit')
      const { results } = await withClient(global, (client) => client.checkpoints.results({ checkpoint: name, limit }))
      if (global.json) return printJson(results.map(({ result, ...summary }) => ({ ...summary, statistics: result.statistics })))
      if (results.length === 0) return void process.stdout.write(`no stored results for checkpoint ${name}\n`)
      for (const r of results) {
        const s = r.result.statistics
        process.stdout.write(`${r.run_time}  ${r.success ? 'passed' : 'FAILED'}  ${r.suite_name}@${r.suite_version ?? '-'}  ${r.batch}  ${s.successful_expectations}/${s.evaluated_expectations}  ${r.id}\n`)
      }
    })
}

function describeRun(run: CheckpointRun): string {
  const lines = [`checkpoint ${run.checkpoint}: ${run.success ? 'passed' : 'FAILED'} (run ${run.run_id})`]
  for (const v of run.validations) {
    const s = v.statistics
    lines.push(`  ${v.success ? 'pass' : 'FAIL'}  ${v.suite_name}@${v.suite_version} on ${v.batch}: ${s.successful_expectations}/${s.evaluated_expectations} expectations`)
    for (const r of v.result.results) {
      if (r.status === 'pass') continue
      const message = r.exception_info.raised_exception ? `: ${r.exception_info.exception_message}` : ''
      lines.push(`    ${r.status}  ${r.expectation_config.type}${message}`)
    }
  }
  for (const a of run.actions) if (!a.ok) lines.push(`  action ${a.type} failed: ${a.detail ?? ''}`)
  return `${lines.join('\n')}\n`
}
