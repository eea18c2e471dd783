import { resolve } from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { parseOrThrow } from '../../core/index.js'
import { globalOptions, printJson } from '../output.js'
import { withAsof } from './checkpoint-command.js'

/** `asof docs build [--output DIR]`: static HTML data docs from the stored validation results. */
export function register(program: Command): void {
  const docs = program.command('docs').description('data docs: static HTML pages of validation results')
  docs.command('build')
    .description('render one page per stored result and an index of runs with their success over time')
    .option('--output <dir>', 'output directory (default: <ASOF_HOME>/data-docs)')
    .option('--limit <n>', 'render the newest N results', '500')
    .action(async (opts: { output?: string; limit: string }, cmd: Command) => {
      const global = globalOptions(cmd)
      const limit = parseOrThrow(z.coerce.number().int().positive(), opts.limit, '--limit')
      const built = await withAsof(global, (asof) => asof.checkpoints.buildDocs(opts.output ? resolve(opts.output) : undefined, limit))
      if (global.json) return printJson(built)
      process.stdout.write(`wrote ${built.pages} pages to ${built.output} (open ${resolve(built.output, 'index.html')})\n`)
    })
}
