import { existsSync } from 'node:fs'
import { basename, extname, resolve } from 'node:path'
import type { Command } from 'commander'
import { Errors, loadConfig } from '../../core/index.js'
import { DuckDbEngine, sql } from '../../engines/index.js'
import { RESULT_FORMATS, fileFormatOf, readSuiteFile, validate, type Batch, type ValidationResult } from '../../expectations/index.js'
import type { Asof } from '../../asof.js'
import { GateFailed, globalOptions, printJson } from '../output.js'

interface ValidateOptions {
  suite: string
  data?: string
  source?: string
  featureView?: string
  sql?: string
  resultFormat?: string
}

/**
 * `asof validate --suite FILE (--data FILE | --source NAME | --feature-view NAME[@N] | --sql QUERY)`:
 * runs a GX suite on one batch. Exit 0 when it passes, 1 when it fails, 2 on a bad input.
 * `--data` reads the file with an in-memory DuckDB (no repo database needed); the others open asof.
 */
export function register(program: Command): void {
  program.command('validate')
    .description('validate a batch against a GX expectation suite (exit 0 pass, 1 fail, 2 bad input)')
    .requiredOption('--suite <file>', 'suite JSON (GX 0.x or 1.x)')
    .option('--data <file>', 'a .csv, .parquet, .json (array of records) or .jsonl file')
    .option('--source <name>', 'a registered data source')
    .option('--feature-view <name[@version]>', 'a feature view (its current version, or @N)')
    .option('--sql <query>', 'a SELECT on the offline engine (PostgreSQL in server mode, else DuckDB)')
    .option('--result-format <format>', `${RESULT_FORMATS.join(' | ')} (default SUMMARY)`)
    .action(async (opts: ValidateOptions, cmd: Command) => {
      const global = globalOptions(cmd)
      const chosen = (['data', 'source', 'featureView', 'sql'] as const).filter((k) => opts[k] !== undefined)
      if (chosen.length !== 1) {
        throw Errors.badInput('validate', 'give exactly one batch: --data FILE, --source NAME, --feature-view NAME[@N] or --sql QUERY')
      }
      const suite = readSuiteFile(resolve(opts.suite))
      const result = await withBatch(opts, global.repo, (batch) =>
        validate(suite, batch, { resultFormat: opts.resultFormat?.toUpperCase() ?? 'SUMMARY' }).then((o) => o.result))
      if (global.json) printJson(result)
      else process.stdout.write(summarize(result))
      if (!result.success) throw new GateFailed()
    })
}

async function withBatch<T>(opts: ValidateOptions, repoDir: string | undefined, fn: (batch: Batch) => Promise<T>): Promise<T> {
  if (opts.data !== undefined) {
    const path = resolve(opts.data)
    const format = fileFormatOf(path, '--data')
    if (!existsSync(path)) throw Errors.badInput('--data', `${opts.data}: no such file`)
    const engine = await DuckDbEngine.open({ path: ':memory:' })
    try {
      if (format === 'parquet') return await fn({ engine, relation: { kind: 'file', path, format }, description: opts.data })
      // Text formats are parsed once into a table named after the file: a suite reads its batch in
      // more than one statement (the aggregate scan, GROUP BYs, unexpected rows), and parsing CSV is
      // most of the cost. The shown unexpected-rows queries then name that table.
      const table = basename(path, extname(path))
      await engine.execute(sql`create table ${sql.id(table)} as select * from ${engine.from({ kind: 'file', path, format })}`)
      return await fn({ engine, relation: { kind: 'table', name: table }, description: opts.data })
    } finally {
      await engine.close()
    }
  }
  // Loaded only here: `--data` needs neither the feature store nor the API client.
  const { openAsof } = await import('../../asof.js')
  const asof = await openAsof(loadConfig({ repoDir }))
  try {
    return await fn(await asofBatch(asof, opts))
  } finally {
    await asof.close()
  }
}

/** --sql and --feature-view resolve like checkpoint batches (same engines, same history keys). */
async function asofBatch(asof: Asof, opts: ValidateOptions): Promise<Batch> {
  if (opts.sql !== undefined) return asof.resolveBatch({ type: 'query', sql: opts.sql })
  if (opts.featureView !== undefined) {
    const m = /^([^@]+)(?:@(\d+))?$/.exec(opts.featureView)
    if (!m) throw Errors.badInput('--feature-view', `${JSON.stringify(opts.featureView)} is not NAME or NAME@VERSION`)
    return asof.resolveBatch({ type: 'feature_view', name: m[1]!, ...(m[2] === undefined ? {} : { version: Number(m[2]) }) })
  }
  throw Errors.badInput('--source', 'validating a data source by name is not available yet; use --feature-view NAME[@N] or --data FILE')
}

function summarize(result: ValidationResult): string {
  const lines = result.results.map((r, i) => {
    const mark = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', error: 'ERROR' }[r.status]
    const column = r.expectation_config.kwargs.column
    const observed = r.result.observed_value !== undefined ? ` observed ${JSON.stringify(r.result.observed_value)}`
      : r.result.unexpected_count !== undefined ? ` ${r.result.unexpected_count} unexpected of ${r.result.element_count}` : ''
    const problem = r.exception_info.raised_exception ? ` — ${r.exception_info.exception_message}` : ''
    return `${mark.padEnd(5)} [${i}] ${r.expectation_config.type}${typeof column === 'string' ? ` (${column})` : ''}${observed}${problem}`
  })
  const s = result.statistics
  return `${lines.join('\n')}\n${result.success ? 'passed' : 'FAILED'}: ${s.successful_expectations}/${s.evaluated_expectations} expectations met (suite ${result.suite_name})\n`
}
