import pino, { type Logger } from 'pino'

export type { Logger }

/** The one logger factory: JSON to stderr, so stdout stays clean for command output. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined }, pino.destination(2))
}
