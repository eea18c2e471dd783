import type { Command } from 'commander'
import { Errors } from '../../core/index.js'
import type { PlanJson } from '../../featurestore/index.js'
import type { RegistrySegment } from '../../client/index.js'
import { globalOptions, printJson, type GlobalOptions } from '../output.js'
import { withClient } from '../client.js'

/**
 * `asof plan` and `asof apply` (in the repo directory, or `--repo DIR`): the diff per object
 * (create / change / unchanged / delete) and the version each change creates; apply writes it in one
 * transaction. `asof versions NAME` lists a feature view's immutable versions.
 */
export function register(program: Command): void {
  registryCommand(program, 'plan', 'show what apply would change: per object create / change / unchanged / delete, and the version each change creates', false)
  registryCommand(program, 'apply', 'apply the feature repo in one transaction: every created or changed object gets a new immutable version (annotation-only changes do not), objects no longer defined leave the registry (their versions stay readable)', true)

  program.command('versions')
    .description('list the versions of a registry object (default: a feature view)')
    .argument('<name>', 'the object name')
    .option('--kind <kind>', 'entity, source, feature_view or feature_service', 'feature_view')
    .action(async (name: string, opts: { kind: string }, cmd: Command) => {
      const global = globalOptions(cmd)
      const kind = parseKind(opts.kind)
      const { versions } = await withClient(global, (client) => client.registry.versions({ kind, name }))
      if (global.json) return printJson(versions.map((v) => ({ kind: v.kind, name: v.name, version: v.version, spec_hash: v.spec_hash, created_at: v.created_at, spec: v.spec })))
      for (const v of versions) process.stdout.write(`${v.name}@${v.version}  ${v.created_at}  ${v.spec_hash.slice(0, 12)}\n`)
    })
}

/** `plan` (dry run) and `apply`. */
function registryCommand(program: Command, name: string, description: string, apply: boolean): void {
  program.command(name).description(description).action(async (_opts: unknown, cmd: Command) => {
    const global = globalOptions(cmd)
    print(global, await withClient(global, (client) => (apply ? client.registry.apply() : client.registry.plan())))
  })
}

/** `--kind` → the registry's URL segment. */
const KINDS: Record<string, RegistrySegment> = {
  entity: 'entities', source: 'sources', feature_view: 'feature-views', feature_service: 'feature-services',
}

function parseKind(kind: string): RegistrySegment {
  if (Object.hasOwn(KINDS, kind)) return KINDS[kind]!
  throw Errors.badInput('--kind', `unknown kind ${JSON.stringify(kind)}; known: ${Object.keys(KINDS).join(', ')}`)
}

function print(global: GlobalOptions, plan: PlanJson): void {
  if (global.json) return printJson(plan)
  for (const e of plan.entries) {
    const what = `${e.kind} ${e.name}`
    if (e.action === 'create') process.stdout.write(`create     ${what} (version ${e.new_version})\n`)
    else if (e.action === 'change' && e.new_version === null) process.stdout.write(`change     ${what}: version ${e.current_version}, annotations only (${e.changed_fields.join(', ')})\n`)
    else if (e.action === 'change') process.stdout.write(`change     ${what}: version ${e.current_version} → ${e.new_version} (${e.changed_fields.join(', ')})\n`)
    else if (e.action === 'delete') process.stdout.write(`delete     ${what} (versions up to ${e.current_version} stay readable)\n`)
    else process.stdout.write(`unchanged  ${what} (version ${e.current_version})\n`)
  }
  const changes = plan.entries.filter((e) => e.action !== 'unchanged').length
  process.stdout.write(plan.applied
    ? `applied ${changes} change(s) to project ${plan.project}\n`
    : `${changes} change(s) to apply to project ${plan.project}${changes ? ' (run `asof apply`)' : ''}\n`)
}
