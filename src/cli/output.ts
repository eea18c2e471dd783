import type { Command } from 'commander'

/** Global flags every command sees. */
export interface GlobalOptions {
  repo?: string
  json?: boolean
  debug?: boolean
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions
}

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`)
}

/** Progress for long work: shown on a terminal, silent when piped or with --json. */
export function progress(opts: GlobalOptions): (message: string) => void {
  if (opts.json || !process.stderr.isTTY) return () => {}
  return (message) => process.stderr.write(`\r\x1b[K${message}`)
}

/** Thrown by a command whose work ran but whose gate failed (validate, checkpoint run): exit 1. */
export class GateFailed extends Error {}
