import type { Command } from 'commander'
import { z } from 'zod'
import { loadConfig, parseOrThrow } from '../../core/index.js'
import { ApiKeys, type ApiKeyInfo, type CreatedApiKey } from '../../api/index.js'
import { KEY_SCOPES } from '../../metadata/index.js'
import { globalOptions, printJson, type GlobalOptions } from '../output.js'
import { withAsofOrServer } from '../server-client.js'

const scopeSchema = z.enum(KEY_SCOPES)

/** `asof keys create|list|revoke`: API keys for `asof serve` (through it when it is running). */
export function register(program: Command): void {
  const keys = program.command('keys').description('manage API keys (stored hashed; a secret is shown once)')

  keys.command('create')
    .description('create an API key and print its secret (shown only now)')
    .requiredOption('--scope <scope>', `read, write or admin (each includes the ones before it)`)
    .option('--name <name>', 'a label for the key')
    .action(async (opts: { scope: string; name?: string }, cmd: Command) => {
      const scope = parseOrThrow(scopeSchema, opts.scope, '--scope')
      const global = globalOptions(cmd)
      const created = await withKeys(global,
        (local) => local.create(scope, opts.name),
        (client) => client.request<CreatedApiKey>('POST', '/api/v1/keys', { scope, name: opts.name }))
      if (global.json) return printJson(created)
      process.stdout.write(`created ${created.id} (${created.scope}): ${created.name}\n`)
      process.stdout.write(`secret (shown once, store it now): ${created.secret}\n`)
    })

  keys.command('list')
    .description('list API keys (never their secrets)')
    .action(async (_opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd)
      const list = await withKeys(global, (local) => local.list(),
        async (client) => (await client.request<{ keys: ApiKeyInfo[] }>('GET', '/api/v1/keys')).keys)
      if (global.json) return printJson(list)
      if (list.length === 0) process.stdout.write('no API keys (a localhost embedded server runs open)\n')
      for (const k of list) {
        process.stdout.write(`${k.id}  ${k.scope.padEnd(5)}  ${k.revoked_at ? `revoked ${k.revoked_at}` : 'active'}  ${k.name}\n`)
      }
    })

  keys.command('revoke')
    .description('revoke an API key by id')
    .argument('<id>', 'the key id (from `asof keys list`)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd)
      await withKeys(global, (local) => local.revoke(id),
        (client) => client.request<void>('DELETE', `/api/v1/keys/${encodeURIComponent(id)}`))
      if (global.json) return printJson({ revoked: id })
      process.stdout.write(`revoked ${id}\n`)
    })
}

function withKeys<T>(global: GlobalOptions, local: (keys: ApiKeys) => Promise<T>, remote: Parameters<typeof withAsofOrServer<T>>[2]): Promise<T> {
  return withAsofOrServer(loadConfig({ repoDir: global.repo }), (asof) => local(new ApiKeys(asof.metadata)), remote)
}
