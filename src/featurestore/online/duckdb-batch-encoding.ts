import { sql, type RawBuilder } from 'kysely'
import type { Column } from '../../engines/index.js'
import type { StoredFeatureView } from '../definitions/feature-view.js'

/**
 * A materialization batch encoded by DuckDB itself, as the online table stores it: the columns
 * `entity_key`, `feature_values`, `event_ts_us`, `created_ts_us` of `EncodedRow`, with exactly
 * the text `encodeEntityKey` and `encodeFeatureValues` write for the same values read into
 * JavaScript (test/featurestore/bulk-materialize.test.ts checks that on random values). So no
 * row passes through JavaScript: DuckDB computes the batch and its encoding in parallel and
 * the store loads the result in bulk. Returns undefined when a column's type has no exact
 * encoding here (timestamps, dates, decimals, lists, structs as features; keys other than
 * integers, strings and booleans; event times other than TIMESTAMP/TIMESTAMPTZ): the batch then
 * takes the JavaScript path.
 *
 * `columns` are the batch's columns (`engine.describe`), named as `latestRowsQuery` names them.
 */
export function encodeBatchInDuckDb(spec: StoredFeatureView, batch: RawBuilder<unknown>, columns: readonly Column[]): RawBuilder<unknown> | undefined {
  const typeOf = new Map(columns.map((c) => [c.name, c.engineType]))
  const b = (name: string) => sql`b.${sql.id(name)}`
  const keyParts: RawBuilder<unknown>[] = []
  for (const k of spec.join_keys) {
    const part = keyPart(b(k), typeOf.get(k))
    if (!part) return undefined
    keyParts.push(part)
  }
  const values: RawBuilder<unknown>[] = []
  for (const f of spec.schema) {
    const value = featureValue(b(f.name), typeOf.get(f.name))
    if (!value) return undefined
    values.push(value)
  }
  const ts = spec.source.timestamp_field
  const created = spec.source.created_timestamp_column
  if (!TIMESTAMPS.has(typeOf.get(ts) ?? '') || (created && !TIMESTAMPS.has(typeOf.get(created) ?? ''))) return undefined
  const key = keyParts.length ? sql`'[' || ${sql.join(keyParts, sql` || ',' || `)} || ']'` : sql`'[]'`
  const json = values.length ? sql`'[' || ${sql.join(values, sql` || ',' || `)} || ']'` : sql`'[]'`
  return sql`select ${key} as entity_key, ${json} as feature_values, epoch_us(${b(ts)}) as event_ts_us,
    ${created ? sql`epoch_us(${b(created)})` : sql`cast(null as bigint)`} as created_ts_us
    from (${batch}) as b`
}

const TIMESTAMPS = new Set(['TIMESTAMP', 'TIMESTAMP WITH TIME ZONE'])
const INTEGERS = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT'])
const FLOATS = new Set(['DOUBLE', 'FLOAT'])

/** A key part as `encodeEntityKey` writes it, quoted: `"n:1001"`, `"s:…"`, `"b:true"` (keys are never null here: the batch skips null keys). */
function keyPart(x: RawBuilder<unknown>, type: string | undefined): RawBuilder<unknown> | undefined {
  if (type === undefined) return undefined
  if (INTEGERS.has(type)) return sql`'"n:' || cast(${x} as varchar) || '"'`
  if (type === 'BOOLEAN') return sql`'"b:' || cast(${x} as varchar) || '"'`
  if (type === 'VARCHAR') return jsonString(sql`'s:' || ${x}`)
  return undefined
}

/**
 * A feature value as `encodeFeatureValues` writes it. Doubles: DuckDB's `to_json` prints the
 * shortest round-trip digits as JavaScript does, switching to exponents at the same places, but
 * integral values with `.0` and positive exponents without `+` (`1.0`, `1e21` where JavaScript
 * writes `1`, `1e+21`; and -0 as `-0.0`, JavaScript `0`); NaN and infinities are null in JSON.stringify. Integers beyond 2^53 are decimal strings, as a bigint is stored.
 */
function featureValue(x: RawBuilder<unknown>, type: string | undefined): RawBuilder<unknown> | undefined {
  if (type === undefined) return undefined
  if (FLOATS.has(type)) {
    const d = sql`cast(${x} as double)`
    const json = sql`cast(to_json(${d}) as varchar)`
    // Only integral doubles differ: below 1e21 as `N.0`, from 1e21 on (all integral) as `de21`.
    return sql`(case when ${x} is null or isnan(${d}) or isinf(${d}) then 'null'
      when ${d} <> trunc(${d}) then ${json}
      when ${d} = 0 then '0'
      when abs(${d}) < 1e21 then substr(${json}, 1, length(${json}) - 2)
      else replace(${json}, 'e', 'e+') end)`
  }
  if (INTEGERS.has(type)) {
    return sql`(case when ${x} is null then 'null' when ${x} between -9007199254740991 and 9007199254740991 then cast(${x} as varchar)
      else '"' || cast(${x} as varchar) || '"' end)`
  }
  if (type === 'BOOLEAN') return sql`coalesce(cast(${x} as varchar), 'null')`
  if (type === 'VARCHAR') return sql`coalesce(${jsonString(x)}, 'null')`
  if (type === 'BLOB') return sql`coalesce('"' || to_base64(${x}) || '"', 'null')`
  return undefined
}

/**
 * A string as JSON.stringify writes it. DuckDB's `to_json` escapes as JavaScript does but for
 * control characters without a short escape, whose hex it writes in upper case (`\u001F`, where
 * JavaScript writes `\u001f`); strings holding a control character are escaped by hand.
 */
function jsonString(x: RawBuilder<unknown>): RawBuilder<unknown> {
  let escaped = sql`replace(replace(${x}, '\\', '\\\\'), '"', '\\"')`
  for (let c = 0; c < 32; c++) {
    const short = SHORT_ESCAPES[c]
    const text = short ?? `\\u${c.toString(16).padStart(4, '0')}`
    escaped = sql`replace(${escaped}, chr(${sql.lit(c)}), ${sql.lit(text)})`
  }
  return sql`(case when regexp_matches(${x}, '[\\x00-\\x1f]') then '"' || ${escaped} || '"' else cast(to_json(${x}) as varchar) end)`
}

const SHORT_ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' }
