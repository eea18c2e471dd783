import type { Command } from 'commander'
import { isAsofError, Errors } from '../../core/index.js'
import type { MaterializationReportJson } from '../../featurestore/index.js'
import type { AsofClient } from '../../client/index.js'
import { GateFailed, globalOptions, printJson, progress, type GlobalOptions } from '../output.js'
import { withClient } from '../client.js'

/** `asof materialize START END` and `asof materialize-incremental END`: batch data into the online store. */
export function register(program: Command): void {
  program.command('materialize')
    .description('write, per entity, the latest feature row with START <= event_timestamp <= END to the online store')
    .argument('<start>', 'ISO-8601 start, inclusive (no offset = UTC)')
    .argument('<end>', 'ISO-8601 end, inclusive (no offset = UTC)')
    .option('--views <names>', 'comma-separated feature views (name or name@VERSION); default: every online view')
    .action(async (start: string, end: string, opts: { views?: string }, cmd: Command) => {
      const views = splitList(opts.views)
      await run(globalOptions(cmd), `materializing ${start} → ${end}`, (client) => client.online.materialize({ start, end, views }))
    })

  program.command('materialize-incremental')
    .description('materialize each view from where its last materialization ended (its watermark) to END')
    .argument('<end>', 'ISO-8601 end, inclusive (no offset = UTC)')
    .option('--views <names>', 'comma-separated feature views (name or name@VERSION); default: every online view')
    .action(async (end: string, opts: { views?: string }, cmd: Command) => {
      const views = splitList(opts.views)
      await run(globalOptions(cmd), `materializing up to ${end}`, (client) => client.online.materializeIncremental({ end, views }))
    })
}

async function run(global: GlobalOptions, what: string, work: (client: AsofClient) => Promise<MaterializationReportJson>): Promise<void> {
  const show = progress(global)
  show(`${what}…`)
  let report: MaterializationReportJson
  try {
    report = await withClient(global, work)
  } catch (e) {
    show('')
    // A refused batch is a gate that ran and failed: exit 1, like a failed checkpoint.
    if (isAsofError(e) && e.code === Errors.gateFailed.code) {
      process.stderr.write(`asof: ${e.message}\n`)
      if (global.json && e.details) printJson(e.details)
      throw new GateFailed(e.message)
    }
    throw e
  }
  show('')
  if (global.json) return printJson(report)
  for (const v of report.views) {
    process.stdout.write(`${v.view}@${v.version}: ${v.rows_read} entities read, ${v.rows_written} written (${v.start ?? 'beginning'} → ${v.end})\n`)
  }
  if (report.views.length === 0) process.stdout.write('no online feature views to materialize (run `asof apply` first)\n')
}

function splitList(text: string | undefined): string[] | undefined {
  const items = text?.split(',').map((s) => s.trim()).filter(Boolean)
  return items && items.length ? items : undefined
}
