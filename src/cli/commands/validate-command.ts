import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { Errors } from '../../core/index.js'
import {
  RESULT_FORMATS, fileFormatOf, parseResultFormat, readSuiteFile, suiteToGx1, validateFile,
  type BatchSpec, type ResultFormat, type Suite, type ValidationResult,
} from '../../expectations/index.js'
import { GateFailed, globalOptions, printJson, type GlobalOptions } from '../output.js'

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
 * `--data` reads the file with an in-memory DuckDB (no repo database needed); the others open asof,
 * or go through a running `asof serve` that holds its database.
 */
export function register(program: Command): void {
  program.command('validate')
    .description('validate a batch against a GX expectation suite (exit 0 pass, 1 fail, 2 bad input)')
    .requiredOption('--suite <file>', 'suite JSON (GX 0.x or 1.x)')
    .option('--data <file>', 'a .csv, .parquet, .json (array of records) or .jsonl file')
    .option('--source <name>', 'a data source defined in the feature repo')
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
      const resultFormat = parseResultFormat(opts.resultFormat?.toUpperCase() ?? 'SUMMARY', '--result-format')
      const result = opts.data !== undefined
        ? await validateDataFile(suite, opts.data, resultFormat)
        : await validateInRepo(suite, batchSpecOf(opts), resultFormat, global)
      if (global.json) printJson(result)
      else process.stdout.write(summarize(result))
      if (!result.success) throw new GateFailed()
    })
}

/** `--data` reads the file alone (an in-memory DuckDB): no repo database, so no lock to share with a server. */
async function validateDataFile(suite: Suite, data: string, resultFormat: ResultFormat): Promise<ValidationResult> {
  const path = resolve(data)
  const format = fileFormatOf(path, '--data')
  if (!existsSync(path)) throw Errors.badInput('--data', `${data}: no such file`)
  return validateFile(suite, path, format, { description: data, resultFormat })
}

/**
 * --source, --feature-view and --sql resolve like checkpoint batches (same engines, same history
 * keys), through the client (in process, or on the server beside the repo).
 */
async function validateInRepo(suite: Suite, spec: BatchSpec, resultFormat: ResultFormat, global: GlobalOptions): Promise<ValidationResult> {
  // Loaded only here: `--data` needs neither the feature store nor the client.
  const { withClient } = await import('../client.js')
  return withClient(global, (client) => client.validation.validate({ suite: suiteToGx1(suite), batch: spec, result_format: resultFormat }))
}

function batchSpecOf(opts: ValidateOptions): BatchSpec {
  if (opts.sql !== undefined) return { type: 'query', sql: opts.sql }
  if (opts.source !== undefined) return { type: 'source', name: opts.source }
  const m = /^([^@]+)(?:@(\d+))?$/.exec(opts.featureView!)
  if (!m) throw Errors.badInput('--feature-view', `${JSON.stringify(opts.featureView)} is not NAME or NAME@VERSION`)
  return { type: 'feature_view', name: m[1]!, ...(m[2] === undefined ? {} : { version: Number(m[2]) }) }
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
