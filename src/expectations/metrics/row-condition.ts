import { Errors } from '../../core/index.js'
import { col, sql, type RawBuilder } from '../../engines/index.js'

/**
 * `row_condition`: a SQL boolean expression over the batch's columns that restricts the rows an
 * expectation sees (GX's `row_condition`).
 *
 * Trust model: a suite is data, possibly written by someone who may not run SQL on the engine.
 * So the condition is never spliced into SQL. It is parsed against a small grammar — comparisons,
 * `and`/`or`/`not`, `is [not] null`, `[not] in (…)`, `[not] like`, `between`, arithmetic, a few
 * scalar functions, parentheses — and rebuilt with kysely's `sql` template: column names become
 * quoted identifiers, literals become bound parameters, operators come from a fixed table. There is
 * no way to write `;`, a comment, a subquery, DDL or an arbitrary function. GX's spellings are
 * accepted too: `col("a") > 1` (great_expectations__experimental__) and pandas' `==`, `&`, `|`, `~`.
 *
 * The result is a boolean expression placed inside `where` of the subquery wrapping the batch.
 */
export interface RowCondition {
  readonly text: string
  readonly sql: RawBuilder<unknown>
  /** Every column the condition reads, to check against the batch. */
  readonly columns: readonly string[]
}

type Token =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'id'; v: string; quoted: boolean }
  | { t: 'op'; v: string }

const COMPARISONS: Record<string, RawBuilder<unknown>> = {
  '=': sql`=`, '==': sql`=`, '!=': sql`<>`, '<>': sql`<>`, '<': sql`<`, '<=': sql`<=`, '>': sql`>`, '>=': sql`>=`,
}
const ADDITIVE: Record<string, RawBuilder<unknown>> = { '+': sql`+`, '-': sql`-`, '||': sql`||` }
const MULTIPLICATIVE: Record<string, RawBuilder<unknown>> = { '*': sql`*`, '/': sql`/`, '%': sql`%` }
const FUNCTIONS: Record<string, (args: RawBuilder<unknown>[]) => RawBuilder<unknown>> = {
  lower: (a) => sql`lower(${sql.join(a)})`,
  upper: (a) => sql`upper(${sql.join(a)})`,
  length: (a) => sql`length(${sql.join(a)})`,
  abs: (a) => sql`abs(${sql.join(a)})`,
  trim: (a) => sql`trim(${sql.join(a)})`,
  round: (a) => sql`round(${sql.join(a)})`,
  coalesce: (a) => sql`coalesce(${sql.join(a)})`,
}
const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'null', 'in', 'like', 'between', 'true', 'false'])
const FORBIDDEN = /;|--|\/\*|\*\//

function tokenize(text: string): Token[] {
  const where = 'row_condition'
  if (FORBIDDEN.test(text)) throw Errors.badInput(where, `${JSON.stringify(text)} contains ';' or a comment, which a row condition cannot hold`)
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (/\s/.test(c)) { i++; continue }
    const rest = text.slice(i)
    let m: RegExpMatchArray | null
    if ((m = rest.match(/^\d+(\.\d+)?([eE][+-]?\d+)?/))) { tokens.push({ t: 'num', v: Number(m[0]) }); i += m[0].length; continue }
    if (c === "'") {
      let j = i + 1, v = ''
      for (;;) {
        if (j >= text.length) throw Errors.badInput(where, `unterminated string in ${JSON.stringify(text)}`)
        if (text[j] === "'") { if (text[j + 1] === "'") { v += "'"; j += 2; continue } break }
        v += text[j++]
      }
      tokens.push({ t: 'str', v }); i = j + 1; continue
    }
    if (c === '"') {
      const j = text.indexOf('"', i + 1)
      if (j < 0) throw Errors.badInput(where, `unterminated quoted name in ${JSON.stringify(text)}`)
      tokens.push({ t: 'id', v: text.slice(i + 1, j), quoted: true }); i = j + 1; continue
    }
    if ((m = rest.match(/^[A-Za-z_][A-Za-z0-9_]*/))) { tokens.push({ t: 'id', v: m[0], quoted: false }); i += m[0].length; continue }
    if ((m = rest.match(/^(==|!=|<>|<=|>=|\|\||[=<>+\-*/%(),&|~])/))) { tokens.push({ t: 'op', v: m[0] }); i += m[0].length; continue }
    throw Errors.badInput(where, `unexpected character ${JSON.stringify(c)} in ${JSON.stringify(text)}`)
  }
  return tokens
}

/** Parses and rebuilds a row condition; throws bad_input naming what is not allowed. */
export function parseRowCondition(text: string): RowCondition {
  const tokens = tokenize(text)
  const columns = new Set<string>()
  let pos = 0
  const fail = (problem: string): never => { throw Errors.badInput('row_condition', `${problem} in ${JSON.stringify(text)}`) }
  const peek = () => tokens[pos]
  const isKw = (tok: Token | undefined, kw: string) => tok?.t === 'id' && !tok.quoted && tok.v.toLowerCase() === kw
  const isOp = (tok: Token | undefined, op: string) => tok?.t === 'op' && tok.v === op
  const expectOp = (op: string) => { if (!isOp(peek(), op)) fail(`expected '${op}'`); pos++ }

  const orExpr = (): RawBuilder<unknown> => {
    let left = andExpr()
    while (isKw(peek(), 'or') || isOp(peek(), '|')) { pos++; left = sql`(${left} or ${andExpr()})` }
    return left
  }
  const andExpr = (): RawBuilder<unknown> => {
    let left = notExpr()
    while (isKw(peek(), 'and') || isOp(peek(), '&')) { pos++; left = sql`(${left} and ${notExpr()})` }
    return left
  }
  const notExpr = (): RawBuilder<unknown> => {
    if (isKw(peek(), 'not') || isOp(peek(), '~')) { pos++; return sql`(not ${notExpr()})` }
    return predicate()
  }
  const predicate = (): RawBuilder<unknown> => {
    const left = additive()
    const tok = peek()
    if (tok?.t === 'op' && COMPARISONS[tok.v]) { pos++; return sql`(${left} ${COMPARISONS[tok.v]!} ${additive()})` }
    if (isKw(tok, 'is')) {
      pos++
      const negated = isKw(peek(), 'not') ? (pos++, true) : false
      if (!isKw(peek(), 'null')) fail("expected 'null' after 'is'")
      pos++
      return negated ? sql`(${left} is not null)` : sql`(${left} is null)`
    }
    const negated = isKw(tok, 'not') ? (pos++, true) : false
    if (isKw(peek(), 'in')) {
      pos++
      expectOp('(')
      const items = [additive()]
      while (isOp(peek(), ',')) { pos++; items.push(additive()) }
      expectOp(')')
      return negated ? sql`(${left} not in (${sql.join(items)}))` : sql`(${left} in (${sql.join(items)}))`
    }
    if (isKw(peek(), 'like')) { pos++; const p = additive(); return negated ? sql`(${left} not like ${p})` : sql`(${left} like ${p})` }
    if (isKw(peek(), 'between')) {
      pos++
      const lo = additive()
      if (!isKw(peek(), 'and')) fail("expected 'and' in 'between'")
      pos++
      const hi = additive()
      return negated ? sql`(${left} not between ${lo} and ${hi})` : sql`(${left} between ${lo} and ${hi})`
    }
    if (negated) fail("expected 'in', 'like' or 'between' after 'not'")
    return left
  }
  const additive = (): RawBuilder<unknown> => {
    let left = multiplicative()
    for (let tok = peek(); tok?.t === 'op' && ADDITIVE[tok.v]; tok = peek()) { pos++; left = sql`(${left} ${ADDITIVE[tok.v]!} ${multiplicative()})` }
    return left
  }
  const multiplicative = (): RawBuilder<unknown> => {
    let left = unary()
    for (let tok = peek(); tok?.t === 'op' && MULTIPLICATIVE[tok.v]; tok = peek()) { pos++; left = sql`(${left} ${MULTIPLICATIVE[tok.v]!} ${unary()})` }
    return left
  }
  const unary = (): RawBuilder<unknown> => {
    if (isOp(peek(), '-')) { pos++; return sql`(- ${unary()})` }
    return primary()
  }
  const primary = (): RawBuilder<unknown> => {
    const tok = tokens[pos++]
    if (!tok) return fail('unexpected end')
    if (tok.t === 'num' || tok.t === 'str') return sql`${tok.v}`
    if (tok.t === 'op') {
      if (tok.v !== '(') return fail(`unexpected '${tok.v}'`)
      const inner = orExpr()
      expectOp(')')
      return inner
    }
    const word = tok.v.toLowerCase()
    if (!tok.quoted && isOp(peek(), '(')) {
      pos++
      if (word === 'col') {
        const name = tokens[pos++]
        if (name?.t !== 'str' && !(name?.t === 'id' && name.quoted)) return fail('col() takes a quoted column name')
        expectOp(')')
        columns.add(name.v)
        return col(name.v)
      }
      const fn = FUNCTIONS[word]
      if (!fn) return fail(`function ${tok.v}() is not allowed (allowed: col, ${Object.keys(FUNCTIONS).join(', ')})`)
      const args = [additive()]
      while (isOp(peek(), ',')) { pos++; args.push(additive()) }
      expectOp(')')
      return fn(args)
    }
    if (!tok.quoted) {
      if (word === 'true') return sql`true`
      if (word === 'false') return sql`false`
      if (word === 'null') return sql`null`
      if (KEYWORDS.has(word)) return fail(`unexpected '${tok.v}'`)
      if (word === 'select' || word === 'from') return fail('subqueries are not allowed')
    }
    columns.add(tok.v)
    return col(tok.v)
  }

  if (tokens.length === 0) fail('empty condition')
  const expr = orExpr()
  if (pos < tokens.length) {
    const tok = tokens[pos]!
    fail(tok.t === 'id' && /^(select|from|insert|update|delete|drop|create|alter|union)$/i.test(tok.v)
      ? `'${tok.v}' is not allowed (no subqueries or statements)`
      : `unexpected ${JSON.stringify(String(tok.v))}`)
  }
  return { text, sql: expr, columns: [...columns] }
}
