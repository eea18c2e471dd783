import type { Command } from 'commander'
import { z } from 'zod'
import { Errors, normalizeTimestamp, parseOrThrow } from '../../core/index.js'
import { compareVersions, formatComparison, parseModelRef, WEBHOOK_EVENTS, type ModelRegistry, type ModelVersion } from '../../pipelines/index.js'
import type { AsofClient } from '../../client/index.js'
import { collect, globalOptions, printJson, splitKeyValue, type GlobalOptions } from '../output.js'
import { withClient } from '../client.js'

/**
 * `asof models list|show|promote|demote|tag|webhooks`: the model registry (MLflow-shaped:
 * versions, aliases such as champion, tags, webhooks), through a running `asof serve` when one
 * holds the database.
 */
export function register(program: Command): void {
  const models = program.command('models').description('the model registry: versions, aliases, tags, lineage, webhooks')

  models.command('list')
    .description('list model versions, newest first (filters combine with AND)')
    .option('--name <name>', 'only this registered model')
    .option('--alias <alias>', 'only versions this alias points at (e.g. champion)')
    .option('--tag <key=value>', 'only versions with this tag (repeatable)', collect, [])
    .option('--since <time>', 'registered at or after (ISO-8601)')
    .option('--until <time>', 'registered before (ISO-8601)')
    .option('--limit <n>', 'at most this many')
    .action(async (opts: { name?: string; alias?: string; tag: string[]; since?: string; until?: string; limit?: string }, cmd: Command) => {
      const global = globalOptions(cmd)
      const filter = {
        name: opts.name,
        alias: opts.alias,
        tags: Object.fromEntries(opts.tag.map((t) => splitKeyValue(t, '--tag'))),
        since: opts.since === undefined ? undefined : normalizeTimestamp(opts.since, '--since'),
        until: opts.until === undefined ? undefined : normalizeTimestamp(opts.until, '--until'),
        limit: opts.limit === undefined ? undefined : parseOrThrow(z.coerce.number().int().positive(), opts.limit, '--limit'),
      }
      const versions = await withRegistry(global, (r) => r.search(filter))
      if (global.json) return printJson(versions)
      if (versions.length === 0) return void process.stdout.write('no model versions match\n')
      for (const v of versions) {
        const aliases = v.aliases.length ? ` [${v.aliases.join(', ')}]` : ''
        process.stdout.write(`${v.name}@${v.version}${aliases}  ${v.created_at}  ${formatMetrics(v.metrics.overall)}\n`)
      }
    })

  models.command('compare')
    .description('every version of a model side by side: the run params that differ and the metrics, best first')
    .argument('<name>', 'registered model name')
    .option('--metric <metric>', 'rank by this metric (default r2, roc_auc or macro_f1, whichever the versions report)')
    .option('--latest', 'only the newest version of each experiment')
    .action(async (name: string, opts: { metric?: string; latest?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd)
      const versions = await withRegistry(global, (r) => r.search({ name }))
      if (versions.length === 0) throw Errors.notFound('model', name, [])
      const comparison = compareVersions(versions, { metric: opts.metric, latestPerExperiment: opts.latest })
      if (global.json) return printJson(comparison)
      process.stdout.write(formatComparison(name, comparison))
    })

  models.command('show')
    .description('show one version: metrics (overall and per slice), signature, lineage, training metadata')
    .argument('<ref>', 'NAME (latest version), NAME@VERSION or NAME#ALIAS')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd)
      const v = await withRegistry(global, (r) => r.resolve(parseModelRef(ref, 'model reference')))
      if (global.json) return printJson(v)
      process.stdout.write(describeVersion(v))
    })

  models.command('promote')
    .description('point an alias (default champion) at a version, moving it from where it pointed')
    .argument('<name>', 'registered model name')
    .argument('<version>', 'version number')
    .option('--alias <alias>', 'the alias to set', 'champion')
    .action(async (name: string, version: string, opts: { alias: string }, cmd: Command) => {
      const global = globalOptions(cmd)
      const n = parseOrThrow(z.coerce.number().int().positive(), version, 'version')
      const v = await withRegistry(global, (r) => r.setAlias(name, opts.alias, n))
      if (global.json) return printJson(v)
      process.stdout.write(`${name}#${opts.alias} → version ${v.version}\n`)
    })

  models.command('demote')
    .description('remove an alias from a model')
    .argument('<name>', 'registered model name')
    .requiredOption('--alias <alias>', 'the alias to remove')
    .action(async (name: string, opts: { alias: string }, cmd: Command) => {
      const global = globalOptions(cmd)
      await withRegistry(global, (r) => r.deleteAlias(name, opts.alias))
      if (global.json) return printJson({ name, alias: opts.alias, deleted: true })
      process.stdout.write(`removed ${name}#${opts.alias}\n`)
    })

  models.command('tag')
    .description('set (or with --delete remove) a tag on a model (NAME) or a version (NAME@VERSION)')
    .argument('<ref>', 'NAME or NAME@VERSION')
    .argument('<tag>', 'key=value (just key with --delete)')
    .option('--delete', 'remove the tag')
    .action(async (ref: string, tag: string, opts: { delete?: boolean }, cmd: Command) => {
      const global = globalOptions(cmd)
      const r = parseModelRef(ref, 'model reference')
      if (r.alias !== undefined) throw Errors.badInput('model reference', 'tags are set on NAME or NAME@VERSION, not on an alias')
      if (opts.delete) await withRegistry(global, (m) => m.deleteTag(r.name, r.version, tag))
      else {
        const [key, value] = splitKeyValue(tag, 'tag')
        await withRegistry(global, (m) => m.setTag(r.name, r.version, key, value))
      }
      if (global.json) return printJson({ ref, tag, deleted: !!opts.delete })
      process.stdout.write(`${opts.delete ? 'removed' : 'set'} ${tag} on ${ref}\n`)
    })

  const hooks = models.command('webhooks').description('HTTP webhooks (POST JSON) on registry events')
  hooks.command('add')
    .description('call URL on the given events')
    .argument('<url>', 'http(s) URL to POST to')
    .requiredOption('--events <list>', `comma-separated: ${WEBHOOK_EVENTS.join(', ')}`)
    .option('--model <name>', 'only events of this model (default: every model)')
    .option('--secret <secret>', 'sign deliveries (X-Asof-Signature: v1,<base64 HMAC-SHA256>)')
    .action(async (url: string, opts: { events: string; model?: string; secret?: string }, cmd: Command) => {
      const global = globalOptions(cmd)
      const hook = await withRegistry(global, (r) => r.addWebhook({
        url, events: opts.events.split(',').map((e) => e.trim()) as never, model_name: opts.model, secret: opts.secret,
      }))
      if (global.json) return printJson(hook)
      process.stdout.write(`added webhook ${hook.id}: ${hook.events.join(', ')} → ${hook.url}\n`)
    })
  hooks.command('list')
    .description('list webhooks (never their secrets)')
    .action(async (_opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd)
      const list = await withRegistry(global, (r) => r.listWebhooks())
      if (global.json) return printJson(list)
      if (list.length === 0) process.stdout.write('no webhooks\n')
      for (const h of list) process.stdout.write(`${h.id}  ${h.model_name ?? '(all models)'}  ${h.events.join(',')}  ${h.url}${h.signed ? '  signed' : ''}\n`)
    })
  hooks.command('delete')
    .description('delete a webhook by id')
    .argument('<id>', 'the webhook id (from `asof models webhooks list`)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd)
      await withRegistry(global, (r) => r.deleteWebhook(id))
      if (global.json) return printJson({ deleted: id })
      process.stdout.write(`deleted ${id}\n`)
    })
}

/** What the commands need from the model registry, on the client interface (in process or a server's). */
type Registry = Pick<ModelRegistry, 'search' | 'resolve' | 'setAlias' | 'deleteAlias' | 'setTag' | 'deleteTag' | 'addWebhook' | 'listWebhooks' | 'deleteWebhook'>

function withRegistry<T>(global: GlobalOptions, fn: (registry: Registry) => Promise<T>): Promise<T> {
  return withClient(global, (client) => fn(registryOf(client)))
}

function registryOf(client: AsofClient): Registry {
  const models = client.models
  return {
    search: async (filter = {}) => (await models.search({ ...filter, tags: filter.tags && Object.keys(filter.tags).length ? filter.tags : undefined })).versions,
    async resolve(ref) {
      const r = typeof ref === 'string' ? parseModelRef(ref) : ref
      if (r.version !== undefined) return models.version({ name: r.name, version: r.version })
      if (r.alias !== undefined) return models.alias({ name: r.name, alias: r.alias })
      const { versions } = await models.get({ name: r.name })
      return versions.reduce((a, b) => (b.version > a.version ? b : a))
    },
    setAlias: (name, alias, version) => models.setAlias({ name, alias, version }),
    deleteAlias: (name, alias) => models.deleteAlias({ name, alias }),
    setTag: (name, version, key, value) => models.setTag({ name, version, key, value }),
    deleteTag: (name, version, key) => models.deleteTag({ name, version, key }),
    addWebhook: (input) => models.addWebhook(input),
    listWebhooks: async () => (await models.webhooks()).webhooks,
    deleteWebhook: (id) => models.deleteWebhook({ id }),
  }
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics).map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`).join(' ')
}

/** The human-readable page for one version. */
export function describeVersion(v: ModelVersion): string {
  const lines = [
    `${v.name}@${v.version}${v.aliases.length ? ` [${v.aliases.join(', ')}]` : ''}  registered ${v.created_at}`,
    `  artifact: ${v.artifact_uri} (sha256 ${v.artifact_hash.slice(0, 12)}…)`,
    `  metrics: ${formatMetrics(v.metrics.overall)}`,
  ]
  if (v.metrics.slices) {
    lines.push(`  by ${v.metrics.slices.column}:`)
    for (const [value, m] of Object.entries(v.metrics.slices.values)) lines.push(`    ${value}: ${formatMetrics(m)}`)
  }
  lines.push(
    `  inputs: ${v.signature.inputs.map((c) => `${c.name}:${c.type}`).join(', ')}`,
    `  outputs: ${v.signature.outputs.map((c) => `${c.name}:${c.type}`).join(', ')}`,
    '  lineage:',
    `    feature views: ${v.lineage.feature_views.map((f) => `${f.name}@${f.version}`).join(', ') || '(none)'}`,
    `    dataset: ${v.lineage.dataset.uri} (${v.lineage.dataset.rows} rows, sha256 ${v.lineage.dataset.sha256.slice(0, 12)}…)`,
    `    checkpoint results: ${v.lineage.checkpoint_result_ids.join(', ') || '(none)'}`,
    `    pipeline run: ${v.lineage.pipeline ?? '-'} ${v.lineage.pipeline_run ?? ''}`.trimEnd(),
    `  training: ${v.training.rows.train} train / ${v.training.rows.test} test rows, ${v.training.epochs} epochs on ${v.training.backend}` +
      (v.training.resumed_from_epoch ? ` (resumed from epoch ${v.training.resumed_from_epoch})` : ''),
    `  importance: ${formatMetrics(v.training.permutation_importance)}`,
  )
  if (Object.keys(v.tags).length) lines.push(`  tags: ${Object.entries(v.tags).map(([k, x]) => `${k}=${x}`).join(' ')}`)
  return `${lines.join('\n')}\n`
}
