import { Command, CommanderError } from 'commander'
import { isAsofError, type ErrorKind } from '../core/index.js'
import { GateFailed } from './output.js'
import { explainBusy } from './server-client.js'
import * as serveCommand from './commands/serve-command.js'
import * as quickstartCommand from './commands/quickstart-command.js'
import * as registryCommand from './commands/registry-command.js'
import * as historicalCommand from './commands/historical-command.js'
import * as keysCommand from './commands/keys-command.js'
import * as modelsCommand from './commands/models-command.js'
import * as materializeCommand from './commands/materialize-command.js'
import * as onlineCommand from './commands/online-command.js'
import * as pipelineCommand from './commands/pipeline-command.js'
import * as validateCommand from './commands/validate-command.js'
import * as suiteCommand from './commands/suite-command.js'
import * as checkpointCommand from './commands/checkpoint-command.js'
import * as docsCommand from './commands/docs-command.js'

/**
 * The `asof` command line. Every command lives in commands/*-command.ts and exports
 * `register(program)`; this file lists them (keep the list in help order) and maps errors to exit codes in one place:
 * 0 done, 1 ran and the gate failed, 2 bad input, 3 could not run.
 */
const COMMANDS: { register(program: Command): void }[] = [quickstartCommand, serveCommand, keysCommand, registryCommand, historicalCommand, materializeCommand, onlineCommand, validateCommand, suiteCommand, checkpointCommand, docsCommand, pipelineCommand, modelsCommand]

const EXIT_CODES: Record<ErrorKind, number> = {
  bad_input: 2, not_found: 2, conflict: 2, too_large: 2, unauthorized: 2, forbidden: 2, busy: 3, internal: 3,
}

export function buildProgram(): Command {
  const program = new Command('asof')
    .description('asof: a feature store with data-quality gates')
    .option('--repo <dir>', 'feature repo directory (default: the current directory)')
    .option('--json', 'print machine-readable JSON only')
    .option('--debug', 'print stack traces for unexpected errors')
    .showHelpAfterError()
    .exitOverride()
  for (const c of COMMANDS) c.register(program)
  return program
}

/** Runs the CLI and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram()
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
