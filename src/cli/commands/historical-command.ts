import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { tableFromIPC, tableToIPC } from 'apache-arrow'
import type { Command } from 'commander'
import { Errors, loadConfig } from '../../core/index.js'
import { DuckDbEngine, sql } from '../../engines/index.js'
import { datasetCopy, formatFeatureRef, outputFormatOf, parseFeatureRefList, type OutputFormat, type RetrievalRequest } from '../../featurestore/index.js'
import { globalOptions, printJson, progress } from '../output.js'
import { withAsofOrServer, type ServerClient } from '../server-client.js'

interface HistoricalOptions {
  entities?: string
  entityQuery?: string
  features?: string
  featureService?: string
  fullFeatureNames?: boolean
  timestampColumn?: string
  filterByCreatedTimestamp?: boolean
  output: string
}

/**
 * `asof historical`: point-in-time correct features for entity rows (a training dataset), written
 * to .parquet, .csv, .json or .arrow by the output's extension. When `asof serve` holds the
 * embedded database, the retrieval runs on the server (`POST /api/v1/historical-features`).
 */
export function register(program: Command): void {
  program.command('historical')
    .description('retrieve point-in-time correct features for entity rows into a training dataset')
    .option('--entities <file>', 'entity rows: .csv, .parquet or .json (an array of objects)')
    .option('--entity-query <sql>', 'entity rows from a SELECT run on the offline engine, instead of --entities')
    .option('--features <refs>', 'comma-separated view:feature or view@VERSION:feature')
    .option('--feature-service <name>', 'a feature service instead of --features')
    .option('--full-feature-names', 'name columns <view>__<feature> (<alias>__<feature> for an aliased view)')
    .option('--timestamp-column <col>', 'the entity rows\' event-time column', 'event_timestamp')
    .option('--filter-by-created-timestamp', 'ignore feature rows created after the entity timestamp')
    .requiredOption('--output <file>', 'the dataset: .parquet, .csv, .json or .arrow')
    .action(async (opts: HistoricalOptions, cmd: Command) => {
      const global = globalOptions(cmd)
      if ((opts.features === undefined) === (opts.featureService === undefined)) {
        throw Errors.badInput('--features/--feature-service', 'give exactly one of --features or --feature-service')
      }
      if ((opts.entities === undefined) === (opts.entityQuery === undefined)) {
        throw Errors.badInput('--entities/--entity-query', 'give exactly one of --entities or --entity-query')
      }
      const features = opts.features === undefined ? undefined : parseFeatureRefList(opts.features).map(formatFeatureRef)
      const format = outputFormatOf(opts.output) // reject a bad extension before opening anything
      const output = resolve(opts.output)
      const request: RetrievalRequest = {
        features,
        featureService: opts.featureService,
        fullFeatureNames: Boolean(opts.fullFeatureNames),
        timestampColumn: opts.timestampColumn,
        filterByCreatedTimestamp: Boolean(opts.filterByCreatedTimestamp),
        entities: opts.entityQuery !== undefined ? { kind: 'query', sql: opts.entityQuery } : { kind: 'file', path: resolve(opts.entities!) },
      }
      const show = progress(global)
      show('retrieving features…')
      const config = loadConfig({ repoDir: global.repo })
      const result = await withAsofOrServer(config,
        (asof) => asof.featureStore.writeHistorical(request, output),
        (client) => remoteHistorical(client, request, config.repoDir, output, format))
      show('')
      if (global.json) return printJson({ output, rows: result.rows, columns: result.columns })
      process.stdout.write(`wrote ${result.rows} rows × ${result.columns.length} columns to ${opts.output}\n`)
    })
}

const ACCEPT: Record<OutputFormat, string> = {
  parquet: 'application/vnd.apache.parquet', csv: 'application/vnd.apache.parquet',
  json: 'application/json', arrow: 'application/vnd.apache.arrow.stream',
}

/**
 * The retrieval through a running server. The entity file must lie in the feature repo (the
 * server reads only there); an entity query is not sent, because the API runs no user SQL (it
 * could read any file the server can).
 */
async function remoteHistorical(client: ServerClient, request: RetrievalRequest, repoDir: string, output: string, format: OutputFormat): Promise<{ rows: number; columns: string[] }> {
  if (request.entities.kind !== 'file') {
    throw Errors.badInput('--entity-query', `\`asof serve\` holds this repo's database and its API runs no user SQL; use --entities with a file in the repo, or stop the server`)
  }
  const entityFile = relative(repoDir, request.entities.path)
  if (entityFile.startsWith('..') || isAbsolute(entityFile)) {
    throw Errors.badInput('--entities', `\`asof serve\` holds this repo's database and reads entity files only inside the repo (${repoDir}); move ${request.entities.path} there, or stop the server`)
  }
  const body = {
    ...(request.features ? { features: request.features } : { feature_service: request.featureService }),
    full_feature_names: request.fullFeatureNames, timestamp_column: request.timestampColumn,
    filter_by_created_timestamp: request.filterByCreatedTimestamp, entity_file: entityFile,
  }
  const bytes = await client.download('/api/v1/historical-features', body, ACCEPT[format])
  // The server answers Arrow's stream format and no CSV: files are written as a local retrieval writes them.
  if (format === 'arrow') {
    const table = tableFromIPC(bytes)
    writeFileSync(output, tableToIPC(table, 'file'))
    return { rows: table.numRows, columns: table.schema.fields.map((f) => f.name) }
  }
  if (format === 'json') {
    writeFileSync(output, bytes)
    const rows = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>[]
    return { rows: rows.length, columns: Object.keys(rows[0] ?? {}) }
  }
  // Parquet is the output itself; for CSV it is a scratch file DuckDB converts.
  const dir = format === 'csv' ? mkdtempSync(join(tmpdir(), 'asof-historical-')) : undefined
  const parquet = dir ? join(dir, 'features.parquet') : output
  writeFileSync(parquet, bytes)
  const duckdb = await DuckDbEngine.open({ path: ':memory:' })
  try {
    if (format === 'csv') await duckdb.execute(datasetCopy(sql`select * from read_parquet(${parquet})`, output, 'csv'))
    const [count] = await duckdb.query<{ n: number }>(sql`select count(*) as n from read_parquet(${parquet})`)
    const columns = await duckdb.describe({ kind: 'file', path: parquet, format: 'parquet' })
    return { rows: Number(count!.n), columns: columns.map((c) => c.name) }
  } finally {
    await duckdb.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  }
}
