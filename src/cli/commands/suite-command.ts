import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { basename, extname, resolve } from 'node:path'
import type { Command } from 'commander'
import { Errors, loadConfig } from '../../core/index.js'
import { fileFormatOf, parseSuiteRef, profileFile, readSuite, stringifySuite, suiteToGx0, suiteToGx1 } from '../../expectations/index.js'
import { globalOptions, printJson, warn, type GlobalOptions } from '../output.js'
import { withClient } from '../client.js'

/**
 * `asof suite profile | list | show | save | delete`: propose a suite from data, and manage the suites
 * stored (with versions) in the metadata store.
 */
export function register(program: Command): void {
  const suite = program.command('suite').description('expectation suites: profile data into a suite, store and read versions')

  suite.command('profile')
    .description('propose a GX 1.x suite from a sample of data (types, nulls with mostly, ranges, small sets, uniqueness)')
    .requiredOption('--data <file>', 'data file: .csv, .parquet, .json (array of records) or .jsonl')
    .requiredOption('--output <file>', 'where to write the suite JSON (an existing file is kept unless --force)')
    .option('--name <name>', 'suite name (default: the data file name, or a free name near it when a stored suite has it)')
    .option('--max-set-size <n>', 'columns with at most this many distinct values get a value set', '10')
    .option('--force', 'replace --output when it exists')
    .action(async (opts: { data: string; output: string; name?: string; maxSetSize: string; force?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd)
      const maxSetSize = Number(opts.maxSetSize)
      if (!Number.isInteger(maxSetSize) || maxSetSize < 0) throw Errors.badInput('--max-set-size', `expected a whole number, got ${JSON.stringify(opts.maxSetSize)}`)
      const format = fileFormatOf(opts.data, '--data')
      // A suite file may be what a checkpoint validates with: profiling never replaces one unasked.
      if (!opts.force && existsSync(opts.output)) {
        throw Errors.badInput('--output', `${opts.output} exists; pass --force to replace it, or choose another file`)
      }
      const suiteName = opts.name ?? await freeSuiteName(global, basename(opts.data, extname(opts.data)))
      // Profiling reads only the file, not the repo's database.
      const proposed = await profileFile(resolve(opts.data), format, { suiteName, maxSetSize })
      await writeFile(opts.output, `${stringifySuite({ ...proposed })}\n`)
      if (global.json) return printJson({ output: opts.output, name: proposed.name, expectations: proposed.expectations.length })
      process.stdout.write(`wrote ${opts.output}: suite ${proposed.name} with ${proposed.expectations.length} expectations from ${String(proposed.meta.profiled_rows)} rows\n`)
    })

  suite.command('list')
    .description('stored suites and their current versions')
    .action(async (_opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd)
      const { suites } = await withClient(global, (client) => client.suites.list())
      if (global.json) return printJson(suites)
      if (suites.length === 0) return void process.stdout.write('no stored suites (asof suite save FILE)\n')
      for (const s of suites) process.stdout.write(`${s.name}@${s.current_version}  updated ${s.updated_at}\n`)
    })

  suite.command('show')
    .description('print a stored suite as JSON (GX 1.x unless --gx0)')
    .argument('<ref>', 'NAME (current version) or NAME@VERSION')
    .option('--gx0', 'print in the GX 0.x format')
    .action(async (ref: string, opts: { gx0?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd)
      const { name, version } = parseSuiteRef(ref, 'suite')
      const stored = await withClient(global, (client) => client.suites.get({ name, version }))
      process.stdout.write(`${stringifySuite(opts.gx0 ? suiteToGx0(readSuite(stored.suite, ref)) : stored.suite as Record<string, unknown>)}\n`)
    })

  suite.command('save')
    .description('store a suite file (GX 0.x or 1.x JSON) as a new version; an unchanged suite keeps its version')
    .argument('<file>', 'suite JSON file')
    .option('--name <name>', 'store under this name instead of the suite\'s own')
    .action(async (file: string, opts: { name?: string }, cmd: Command) => {
      const global = globalOptions(cmd)
      const text = await readFile(file, 'utf8').catch((e: Error) => { throw Errors.badInput(file, `cannot read: ${e.message}`) })
      // Read here, so a mistake is reported against the file; it travels as GX 1.x JSON.
      const suite = suiteToGx1(readSuite(text, file)) as Record<string, unknown>
      const saved = await withClient(global, (client) => (opts.name ? client.suites.save({ name: opts.name, suite }) : client.suites.create({ suite })))
      if (global.json) return printJson(saved)
      process.stdout.write(`${saved.name}@${saved.version}${saved.created ? '' : ' (unchanged)'}\n`)
    })

  suite.command('delete')
    .description('delete a stored suite and all its versions')
    .argument('<name>', 'suite name')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd)
      await withClient(global, (client) => client.suites.delete({ name }))
      if (global.json) return printJson({ deleted: name })
      process.stdout.write(`deleted suite ${name}\n`)
    })
}

/**
 * `wanted`, or the first of `wanted_profiled`, `wanted_profiled_2`, … that no stored suite has, so
 * that saving a profiled suite never turns into a new version of a suite the user did not name.
 * Only a repo that has a database can have stored suites; a bare directory is not opened.
 */
async function freeSuiteName(global: GlobalOptions, wanted: string): Promise<string> {
  const config = loadConfig({ repoDir: global.repo, serverUrl: global.url })
  if (!config.serverUrl && !config.databaseUrl && !existsSync(config.home)) return wanted
  const { suites } = await withClient(global, (client) => client.suites.list())
  const taken = new Set(suites.map((s) => s.name))
  if (!taken.has(wanted)) return wanted
  let name = `${wanted}_profiled`
  for (let n = 2; taken.has(name); n++) name = `${wanted}_profiled_${n}`
  warn(`a stored suite is named ${wanted}: this one is named ${name} (--name chooses)`)
  return name
}
