import type { Command } from 'commander'
import { blockedPortWarning, Errors } from '../core/index.js'

/** Global flags every command sees. */
export interface GlobalOptions {
  repo?: string
  url?: string
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

/** A warning on stderr, in the same `asof:` voice as errors; printed with --json too (stdout stays JSON). */
export function warn(message: string): void {
  process.stderr.write(`asof: warning: ${message}\n`)
}

/** Warns, before listening, when `port` is one that browsers and `fetch` refuse. */
export function warnIfBlockedPort(port: number): void {
  const warning = blockedPortWarning(port)
  if (warning) warn(warning)
}

/** Thrown by a command whose work ran but whose gate failed (validate, checkpoint run): exit 1. */
export class GateFailed extends Error {}

/** commander parser for a repeatable flag (`--param a=1 --param b=2`): collects every value. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** `key=value` → `[key, value]`; anything else is bad input naming `flag`. */
export function splitKeyValue(text: string, flag: string): [string, string] {
  const i = text.indexOf('=')
  if (i <= 0) throw Errors.badInput(flag, `expected key=value, got ${JSON.stringify(text)}`)
  return [text.slice(0, i), text.slice(i + 1)]
}

/**
 * Repeated `key=value` flags as an object, each value read as JSON when it parses (numbers,
 * booleans, lists), else as text; so the result is always JSON-compatible.
 */
export function parseParams(texts: readonly string[], flag = '--param'): Record<string, unknown> {
  return Object.fromEntries(texts.map((text) => {
    const [key, raw] = splitKeyValue(text, flag)
    try {
      return [key, JSON.parse(raw) as unknown]
    } catch {
      return [key, raw]
    }
  }))
}
