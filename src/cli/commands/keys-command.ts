import type { Command } from 'commander'
import { z } from 'zod'
import { parseOrThrow } from '../../core/index.js'
import { KEY_SCOPES } from '../../keys/index.js'
import { globalOptions, printJson } from '../output.js'
import { withClient } from '../client.js'

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
      const created = await withClient(global, (client) => client.keys.create({ scope, name: opts.name }))
      if (global.json) return printJson(created)
      process.stdout.write(`created ${created.id} (${created.scope}): ${created.name}\n`)
      process.stdout.write(`secret (shown once, store it now): ${created.secret}\n`)
    })

  keys.command('list')
    .description('list API keys (never their secrets)')
    .action(async (_opts: unknown, cmd: Command) => {
      const global = globalOptions(cmd)
      const { keys: list } = await withClient(global, (client) => client.keys.list())
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
      await withClient(global, (client) => client.keys.revoke({ id }))
      if (global.json) return printJson({ revoked: id })
      process.stdout.write(`revoked ${id}\n`)
    })
}
