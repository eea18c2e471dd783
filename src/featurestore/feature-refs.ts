import { Errors } from '../core/index.js'

/** A reference to one feature: `view:feature`, or `view@N:feature` to read version N. */
export interface FeatureRef {
  readonly view: string
  /** Absent: the view's current version. */
  readonly version?: number
  readonly feature: string
}

const REF = /^([A-Za-z_][A-Za-z0-9_]*)(?:@([1-9][0-9]*))?:([A-Za-z_][A-Za-z0-9_]*)$/
const VIEW = /^([A-Za-z_][A-Za-z0-9_]*)(?:@([1-9][0-9]*))?$/

/** Parses `view:feature` / `view@N:feature`; `where` names the parameter in the error. */
export function parseFeatureRef(text: string, where = 'feature reference'): FeatureRef {
  const m = REF.exec(text.trim())
  if (!m) throw Errors.badInput(where, `expected view:feature or view@VERSION:feature, got ${JSON.stringify(text)}`)
  return m[2] ? { view: m[1]!, version: Number(m[2]), feature: m[3]! } : { view: m[1]!, feature: m[3]! }
}

/** Parses `view` / `view@N`. */
export function parseViewName(text: string, where = 'feature view'): { view: string; version?: number } {
  const m = VIEW.exec(text.trim())
  if (!m) throw Errors.badInput(where, `expected a view name or view@VERSION, got ${JSON.stringify(text)}`)
  return m[2] ? { view: m[1]!, version: Number(m[2]) } : { view: m[1]! }
}

/** Splits a comma-separated `--features` list. */
export function parseFeatureRefList(text: string, where = '--features'): FeatureRef[] {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean)
  if (parts.length === 0) throw Errors.badInput(where, 'expected at least one view:feature reference')
  return parts.map((p) => parseFeatureRef(p, where))
}

export function formatFeatureRef(ref: FeatureRef): string {
  return `${ref.view}${ref.version ? `@${ref.version}` : ''}:${ref.feature}`
}
