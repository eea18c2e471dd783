// Writes docs/errors.md from the table of error codes (src/core/errors.ts): `npm run docs:errors`.
// test/core/errors.test.ts fails when the file is not what this writes.
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Errors } from '../src/core/index.js'
import { statusOf } from '../src/api/index.js'
import { EXIT_CODES } from '../src/cli/program.js'

export const ERRORS_DOC = resolve(import.meta.dirname, '..', 'docs', 'errors.md')

export function errorsDoc(): string {
  const rows = Object.values(Errors)
    .map((e) => `| \`${e.code}\` | ${e.kind} | ${statusOf(e)} | ${EXIT_CODES[e.kind]} | ${e.cause.replaceAll('|', '\\|')} |`)
    .sort()
  return [
    '# Error codes',
    '',
    '<!-- Generated from src/core/errors.ts by `npm run docs:errors`; do not edit by hand. -->',
    '',
    'Every error asof reports on purpose has one of these codes: in the `code` of an HTTP',
    'problem document (application/problem+json, with the status below), in `AsofError.code` for',
    'the client SDK (`openAsof` and `connectAsof` throw the same code), and the CLI prints the',
    'message and exits with the code below. Any other failure is a bug: report it with the request',
    'id from the server log.',
    '',
    '| Code | Kind | HTTP status | CLI exit | Cause |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n')
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  writeFileSync(ERRORS_DOC, errorsDoc())
  console.log(`wrote ${ERRORS_DOC}`)
}
