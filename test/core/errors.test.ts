import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { Errors } from '../../src/core/index.js'
import { ERRORS_DOC, errorsDoc } from '../../scripts/errors-doc.js'

const SRC = resolve(import.meta.dirname, '..', '..', 'src')
const TABLE = join(SRC, 'core', 'errors.ts')

function sources(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => join(SRC, f))
}

/** As fastify keeps docs/Reference/Errors.md and lib/errors.js in step: one table, its document, and no code elsewhere. */
describe('the table of error codes', () => {
  it('gives each code once, with a cause', () => {
    const codes = Object.values(Errors).map((e) => e.code)
    assert.equal(new Set(codes).size, codes.length, 'a code is declared twice')
    for (const e of Object.values(Errors)) {
      assert.match(e.code, /^ASOF_[A-Z_]+$/)
      assert.ok(e.cause.length > 20, `${e.code} says what causes it`)
    }
  })

  it('is what docs/errors.md says (run `npm run docs:errors` after changing it)', () => {
    assert.equal(readFileSync(ERRORS_DOC, 'utf8'), errorsDoc(), 'docs/errors.md is stale: run `npm run docs:errors`')
  })

  it('is the only place an error code is written', () => {
    const codes = new Set(Object.values(Errors).map((e) => e.code))
    const found: string[] = []
    for (const file of sources()) {
      if (file === TABLE) continue
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/['"`](ASOF_[A-Z_]+)['"`]/g)) if (codes.has(m[1]!)) found.push(`${relative(SRC, file)}: ${m[1]}`)
      for (const m of text.matchAll(/new AsofError\(\s*['"`]([^'"`]+)/g)) found.push(`${relative(SRC, file)}: new AsofError('${m[1]}')`)
    }
    assert.deepEqual(found, [], 'use Errors.<name> from src/core/errors.ts')
  })
})
