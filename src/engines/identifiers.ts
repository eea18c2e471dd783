import { sql, type RawBuilder } from 'kysely'
import { Errors } from '../core/index.js'

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

export function isPlainIdentifier(name: string): boolean {
  return PLAIN_IDENTIFIER.test(name) && name.length <= 63
}

/** Throws a bad-input error unless `name` is a plain identifier; `what` names it in the message. */
export function assertIdentifier(name: string, what = 'name'): string {
  if (!isPlainIdentifier(name)) throw Errors.invalidIdentifier(what, name)
  return name
}

/**
 * Quotes a column name that came from data (a CSV header, a GX suite's `column`), which may
 * hold spaces or dots. Identifiers are always quoted by the engine's compiler, never spliced.
 */
export function col(name: string): RawBuilder<unknown> {
  return sql.id(name) as unknown as RawBuilder<unknown>
}

/** A table-qualified column: `"alias"."column"`. */
export function qcol(table: string, name: string): RawBuilder<unknown> {
  return sql`${sql.id(table)}.${sql.id(name)}`
}
