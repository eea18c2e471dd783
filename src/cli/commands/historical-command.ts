import { existsSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import type { Command } from 'commander'
import { Errors, loadConfig } from '../../core/index.js'
import { formatFeatureRef, outputFormatOf, parseFeatureRefList } from '../../featurestore/index.js'
import type { HistoricalInput } from '../../client/index.js'
import { globalOptions, printJson, progress } from '../output.js'
import { withClient } from '../client.js'

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
 * to .parquet, .csv, .json or .arrow by the output's extension. Through a server the dataset
 * arrives as an Arrow stream and is written here; the server reads entity files only inside the
 * repo and runs no `--entity-query`.
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
      if (opts.entities !== undefined && !existsSync(opts.entities)) throw Errors.badInput('--entities', `no such file: ${opts.entities}`)
      const features = opts.features === undefined ? undefined : parseFeatureRefList(opts.features).map(formatFeatureRef)
      outputFormatOf(opts.output) // reject a bad extension before opening anything
      const output = resolve(opts.output)
      const repoDir = loadConfig({ repoDir: global.repo }).repoDir
      const input: HistoricalInput = {
        features,
        feature_service: opts.featureService,
        full_feature_names: Boolean(opts.fullFeatureNames),
        timestamp_column: opts.timestampColumn,
        filter_by_created_timestamp: Boolean(opts.filterByCreatedTimestamp),
        // Entity files travel relative to the repo, where a server reads them.
        ...(opts.entityQuery !== undefined ? { entity_query: opts.entityQuery } : { entity_file: relative(repoDir, resolve(opts.entities!)) }),
      }
      const show = progress(global)
      show('retrieving features…')
      const result = await withClient(global, (client) => client.historical.write(input, output))
      show('')
      if (global.json) return printJson({ output, rows: result.rows, columns: result.columns })
      process.stdout.write(`wrote ${result.rows} rows × ${result.columns.length} columns to ${opts.output}\n`)
    })
}
