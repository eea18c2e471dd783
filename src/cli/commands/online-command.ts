import type { Command } from 'commander'
import { Errors } from '../../core/index.js'
import type { GetOnlineFeaturesRequest } from '../../featurestore/index.js'
import { collect, globalOptions, printJson } from '../output.js'
import { withClient } from '../client.js'

/** `asof online`: read features from the online store, printed as Feast's `/get-online-features` response. */
export function register(program: Command): void {
  program.command('online')
    .description('read online features; prints JSON shaped like Feast\'s /get-online-features response')
    .option('--features <refs>', 'comma-separated view:feature or view@VERSION:feature references')
    .option('--feature-service <name>', 'a feature service instead of --features')
    .option('--entity <key=value>', 'an entity key value; repeat for more rows or composite keys (a JSON value: 1001 is a number, \'"1001"\' a string)', collect, [])
    .option('--full-feature-names', 'name features <view>__<feature>')
    .action(async (opts: { features?: string; featureService?: string; entity: string[]; fullFeatureNames?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd)
      const request: GetOnlineFeaturesRequest = {
        ...(opts.features !== undefined ? { features: opts.features.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
        ...(opts.featureService !== undefined ? { feature_service: opts.featureService } : {}),
        entities: parseEntities(opts.entity),
        full_feature_names: Boolean(opts.fullFeatureNames),
      }
      const response = await withClient(global, (client) => client.online.get(request))
      printJson(response)
    })
}

/** `driver_id=1001 driver_id=1002` → `{ driver_id: [1001, 1002] }`; a value that is not JSON is a string. */
function parseEntities(flags: readonly string[]): Record<string, unknown[]> {
  if (flags.length === 0) throw Errors.badInput('--entity', 'give at least one entity key, like --entity driver_id=1001')
  const entities: Record<string, unknown[]> = {}
  for (const flag of flags) {
    const eq = flag.indexOf('=')
    if (eq <= 0) throw Errors.badInput('--entity', `expected key=value, got ${JSON.stringify(flag)}`)
    const text = flag.slice(eq + 1)
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      value = text
    }
    ;(entities[flag.slice(0, eq)] ??= []).push(value)
  }
  return entities
}
