import { Command, CommanderError } from 'commander'
import { isAsofError, type ErrorKind } from '../core/index.js'
import { GateFailed } from './output.js'

/**
 * The `asof` command line. Every command lives in commands/NAME-command.ts and exports
 * `register(program)`; this table lists them in help order and maps errors to exit codes in one place:
 * 0 done, 1 ran and the gate failed, 2 bad input, 3 could not run.
 *
 * Modules load lazily: a command pulls in only its own import graph (`asof validate --data` needs
 * neither fastify nor tfjs), which is most of a short command's time. Help and unknown commands load all.
 */
type CommandModule = () => Promise<{ register(program: Command): void }>
const registry: CommandModule = () => import('./commands/registry-command.js')
const materialize: CommandModule = () => import('./commands/materialize-command.js')
/** Top-level command name → the module that registers it (one module may register several). */
const COMMANDS: Record<string, CommandModule> = {
  quickstart: () => import('./commands/quickstart-command.js'),
  serve: () => import('./commands/serve-command.js'),
  keys: () => import('./commands/keys-command.js'),
  plan: registry,
  apply: registry,
  versions: registry,
  historical: () => import('./commands/historical-command.js'),
  materialize,
  'materialize-incremental': materialize,
  online: () => import('./commands/online-command.js'),
  validate: () => import('./commands/validate-command.js'),
  suite: () => import('./commands/suite-command.js'),
  checkpoint: () => import('./commands/checkpoint-command.js'),
  docs: () => import('./commands/docs-command.js'),
  pipeline: () => import('./commands/pipeline-command.js'),
  models: () => import('./commands/models-command.js'),
}

/** Global options that take a value: skipped when looking for the command word. */
const VALUE_OPTIONS = new Set(['--repo', '--url'])

/** The exit code of each error kind (2: the input, 3: asof or its surroundings). */
export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  bad_input: 2, not_found: 2, conflict: 2, too_large: 2, unauthorized: 2, forbidden: 2, busy: 3, internal: 3,
}

/** The first word of argv that is not a global option: the command to run, if it is one. */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!
    if (VALUE_OPTIONS.has(arg)) i++
    else if (!arg.startsWith('-')) return arg
  }
  return undefined
}

/** The program with the command that argv names, or with every command (help, a typo). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('asof')
    .description('asof: a feature store with data-quality gates')
    .option('--repo <dir>', 'feature repo directory (default: the current directory)')
    .option('--url <url>', 'send the command to this running `asof serve` (default: ASOF_URL, else the server beside the repo, else the repo itself)')
    .option('--json', 'print machine-readable JSON only')
    .option('--debug', 'print stack traces for unexpected errors')
    .showHelpAfterError()
    .exitOverride()
  const word = commandWord(argv)
  const loaders = word !== undefined && Object.hasOwn(COMMANDS, word) ? [COMMANDS[word]!] : [...new Set(Object.values(COMMANDS))]
  for (const c of await Promise.all(loaders.map((load) => load()))) c.register(program)
  return program
}

/** Runs the CLI and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = await buildProgram(argv)
  try {
    await program.parseAsync(argv)
    return 0
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has printed its message already; help and version exit 0
      return e.exitCode === 0 ? 0 : 2
    }
    if (e instanceof GateFailed) {
      if (e.message) process.stderr.write(`asof: ${e.message}\n`)
      return 1
    }
    if (isAsofError(e)) {
      const { explainBusy } = await import('./busy.js')
      const error = explainBusy(e, program.opts().repo)
      process.stderr.write(`asof: ${error.message}\n`)
      if (program.opts().debug && error.cause) process.stderr.write(`${(error.cause as Error).stack ?? error.cause}\n`)
      return EXIT_CODES[error.kind]
    }
    process.stderr.write(`asof: unexpected error: ${(e as Error).message}\n`)
    if (program.opts().debug) process.stderr.write(`${(e as Error).stack}\n`)
    return 3
  }
}
