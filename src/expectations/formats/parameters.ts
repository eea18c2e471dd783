import { Errors } from '../../core/index.js'

/**
 * GX evaluation (suite) parameters: a kwarg written `{"$PARAMETER": "<expression>"}` is replaced by
 * the expression's value before the expectation runs. Expressions: numbers, parameter names
 * (the suite's `suite_parameters`/`evaluation_parameters`, the run's parameters, then the
 * `resolveParameter` hook — e.g. a metric of an earlier checkpoint run), `now()`,
 * `datetime(y, m, d[, h, mi, s])` (UTC), `timedelta(weeks=…, days=…, hours=…, minutes=…, seconds=…)`, `+ - * /` and parentheses, as in
 * GX's `now() - timedelta(weeks=52)`. A datetime result is an ISO-8601 UTC string.
 */
export type ParameterResolver = (name: string) => Promise<unknown> | unknown

type Val = number | { date: number } | { delta: number } | string | boolean | null | object

const TIMEDELTA_UNITS: Record<string, number> = {
  weeks: 7 * 86400_000, days: 86400_000, hours: 3600_000, minutes: 60_000, seconds: 1000, milliseconds: 1, microseconds: 0.001,
}

export interface ParameterContext {
  readonly now: Date
  resolve(name: string): Promise<unknown>
}

/** Replaces every `{"$PARAMETER": …}` inside `value` (deeply). */
export async function resolveParameters(value: unknown, ctx: ParameterContext): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolveParameters(v, ctx)))
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
    if (entries.length === 1 && entries[0]![0] === '$PARAMETER') {
      const expr = entries[0]![1]
      if (typeof expr !== 'string') throw Errors.badInput('$PARAMETER', 'expected an expression string')
      return toOutput(await evaluateExpression(expr, ctx))
    }
    return Object.fromEntries(await Promise.all(entries.map(async ([k, v]) => [k, await resolveParameters(v, ctx)] as const)))
  }
  return value
}

function toOutput(v: Val): unknown {
  if (v && typeof v === 'object' && 'date' in v) return new Date(v.date).toISOString()
  if (v && typeof v === 'object' && 'delta' in v) return v.delta / 1000
  return v
}

async function evaluateExpression(text: string, ctx: ParameterContext): Promise<Val> {
  const tokens = text.match(/\d+(\.\d+)?([eE][+-]?\d+)?|[A-Za-z_][\w.:\-]*|\*\*|[-+*/(),=]|\S/g) ?? []
  let pos = 0
  const fail = (problem: string): never => { throw Errors.badInput(`$PARAMETER ${JSON.stringify(text)}`, problem) }
  const peek = () => tokens[pos]
  const expect = (t: string) => { if (tokens[pos] !== t) fail(`expected '${t}'`); pos++ }

  const expr = async (): Promise<Val> => {
    let left = await term()
    while (peek() === '+' || peek() === '-') {
      const op = tokens[pos++]!
      left = combine(left, op, await term())
    }
    return left
  }
  const term = async (): Promise<Val> => {
    let left = await factor()
    while (peek() === '*' || peek() === '/') {
      const op = tokens[pos++]!
      left = combine(left, op, await factor())
    }
    return left
  }
  const factor = async (): Promise<Val> => {
    const tok = tokens[pos++]
    if (tok === undefined) return fail('unexpected end')
    if (tok === '-') return combine(0, '-', await factor())
    if (tok === '(') { const v = await expr(); expect(')'); return v }
    if (/^\d/.test(tok)) return Number(tok)
    if (tok === 'now' && peek() === '(') { expect('('); expect(')'); return { date: ctx.now.getTime() } }
    if (tok === 'datetime' && peek() === '(') {
      expect('(')
      const parts: number[] = []
      while (peek() !== ')') {
        const v = await expr()
        if (typeof v !== 'number') fail('datetime() takes numbers')
        parts.push(v as number)
        if (peek() === ',') pos++
      }
      expect(')')
      if (parts.length < 3) fail('datetime() needs at least year, month, day')
      const [y, mo, d, h = 0, mi = 0, s = 0] = parts
      return { date: Date.UTC(y!, mo! - 1, d!, h, mi, s) }
    }
    if (tok === 'timedelta' && peek() === '(') {
      expect('(')
      let ms = 0
      while (peek() !== ')') {
        const unit = tokens[pos++]!
        if (!(unit in TIMEDELTA_UNITS)) fail(`timedelta unit ${unit} (known: ${Object.keys(TIMEDELTA_UNITS).join(', ')})`)
        expect('=')
        const amount = await expr()
        if (typeof amount !== 'number') fail('timedelta amounts must be numbers')
        ms += (amount as number) * TIMEDELTA_UNITS[unit]!
        if (peek() === ',') pos++
      }
      expect(')')
      return { delta: ms }
    }
    if (/^[A-Za-z_]/.test(tok)) {
      const v = await ctx.resolve(tok)
      if (typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}/.test(v)) return { date: Date.parse(v) }
      return v as Val
    }
    return fail(`unexpected '${tok}'`)
  }

  const value = await expr()
  if (pos < tokens.length) fail(`unexpected '${tokens[pos]}'`)
  return value
}

function combine(a: Val, op: string, b: Val): Val {
  const isDate = (v: Val): v is { date: number } => !!v && typeof v === 'object' && 'date' in v
  const isDelta = (v: Val): v is { delta: number } => !!v && typeof v === 'object' && 'delta' in v
  if (typeof a === 'number' && typeof b === 'number') {
    return op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b
  }
  if (isDate(a) && isDelta(b) && (op === '+' || op === '-')) return { date: op === '+' ? a.date + b.delta : a.date - b.delta }
  if (isDelta(a) && isDate(b) && op === '+') return { date: b.date + a.delta }
  if (isDelta(a) && typeof b === 'number' && (op === '*' || op === '/')) return { delta: op === '*' ? a.delta * b : a.delta / b }
  if (typeof a === 'number' && isDelta(b) && op === '*') return { delta: a * b.delta }
  if (isDelta(a) && isDelta(b) && (op === '+' || op === '-')) return { delta: op === '+' ? a.delta + b.delta : a.delta - b.delta }
  if (isDate(a) && isDate(b) && op === '-') return { delta: a.date - b.date }
  throw Errors.badInput('$PARAMETER', `cannot apply '${op}' to ${JSON.stringify(a)} and ${JSON.stringify(b)}`)
}
