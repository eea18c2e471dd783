import { resolve } from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { loadConfig, parseOrThrow } from '../../core/index.js'
import { globalOptions, printJson } from '../output.js'

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
      // Data docs are files written on this machine from the repo's database: in process only.
      const { composeAsof } = await import('../../asof.js')
      const asof = await composeAsof(loadConfig({ repoDir: global.repo }))
      const built = await asof.checkpoints.buildDocs(opts.output ? resolve(opts.output) : undefined, limit).finally(() => asof.close())
      if (global.json) return printJson(built)
      process.stdout.write(`wrote ${built.pages} pages to ${built.output} (open ${resolve(built.output, 'index.html')})\n`)
    })
}
