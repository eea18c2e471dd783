import { resolve } from 'node:path'
import type { Command } from 'commander'
import { Errors, loadConfig } from '../../core/index.js'
import { formatFeatureRef, outputFormatOf, parseFeatureRefList } from '../../featurestore/index.js'
import { openAsof } from '../../asof.js'
import { globalOptions, printJson, progress } from '../output.js'

interface HistoricalOptions {
  entities: string
  features?: string
  featureService?: string
  fullFeatureNames?: boolean
  timestampColumn?: string
  filterByCreatedTimestamp?: boolean
  output: string
}

/**
 * `asof historical`: point-in-time correct features for entity rows (a training dataset), written
 * to .parquet, .csv, .json or .arrow by the output's extension.
 */
export function register(program: Command): void {
  program.command('historical')
    .description('retrieve point-in-time correct features for entity rows into a training dataset')
    .requiredOption('--entities <file>', 'entity rows: .csv, .parquet or .json (an array of objects)')
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
      const features = opts.features === undefined ? undefined : parseFeatureRefList(opts.features).map(formatFeatureRef)
      outputFormatOf(opts.output) // reject a bad extension before opening anything
      const output = resolve(opts.output)
      const show = progress(global)
      show('retrieving features…')
      const asof = await openAsof(loadConfig({ repoDir: global.repo }))
      try {
        const result = await asof.featureStore.writeHistorical({
          features,
          featureService: opts.featureService,
          fullFeatureNames: Boolean(opts.fullFeatureNames),
          timestampColumn: opts.timestampColumn,
          filterByCreatedTimestamp: Boolean(opts.filterByCreatedTimestamp),
          entities: { kind: 'file', path: resolve(opts.entities) },
        }, output)
        show('')
        if (global.json) return printJson({ output, rows: result.rows, columns: result.columns })
        process.stdout.write(`wrote ${result.rows} rows × ${result.columns.length} columns to ${opts.output}\n`)
      } finally {
        await asof.close()
      }
    })
}
