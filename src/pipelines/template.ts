import { Errors } from '../core/index.js'
import type { JsonValue } from './task.js'

/**
 * `{{ … }}` references in task params, Airflow's templated fields without Jinja: a dotted path
 * into the run's values (`params.epochs`, `logical_date`, `ds`, `data_interval_start`, `run_id`,
 * `item`, `inputs.extract.rows`). A string that is exactly one reference takes the value's own
 * type; references inside longer strings are interpolated as text.
 */
const WHOLE = /^\{\{\s*([A-Za-z_][\w.]*)\s*\}\}$/
const PART = /\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g

export function renderTemplate(value: JsonValue, scope: Readonly<Record<string, JsonValue | undefined>>, where: string): JsonValue {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value)
    if (whole) return lookup(whole[1]!, scope, where)
    return value.replace(PART, (_m, path: string) => {
      const v = lookup(path, scope, where)
      return typeof v === 'string' ? v : JSON.stringify(v)
    })
  }
  if (Array.isArray(value)) return value.map((v, i) => renderTemplate(v, scope, `${where}[${i}]`))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderTemplate(v, scope, `${where}.${k}`)]))
  }
  return value
}

/** Follows a dotted path; an unknown name is bad input listing what is known at that level. */
export function lookup(path: string, scope: Readonly<Record<string, JsonValue | undefined>>, where: string): JsonValue {
  let current: unknown = scope
  const walked: string[] = []
  for (const part of path.split('.')) {
    const obj = current as Record<string, unknown> | null
    const known = obj && typeof obj === 'object' ? Object.keys(obj).filter((k) => obj[k] !== undefined) : []
    if (!obj || typeof obj !== 'object' || obj[part] === undefined) {
      const name = [...walked, part].join('.')
      throw Errors.badInput(where, `{{ ${path} }} refers to unknown ${JSON.stringify(name)}; known${walked.length ? ` under ${walked.join('.')}` : ''}: ${known.length ? known.join(', ') : '(none)'}`)
    }
    current = obj[part]
    walked.push(part)
  }
  return current as JsonValue
}
