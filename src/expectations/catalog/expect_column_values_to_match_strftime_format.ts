import { z } from 'zod'
import { Errors } from '../../core/index.js'
import { defineValueCheckExpectation } from './value-check-expectation.js'

const DIRECTIVES: Record<string, string> = {
  Y: '\\d{4}', y: '\\d{2}', m: '(0[1-9]|1[0-2])', d: '(0[1-9]|[12]\\d|3[01])', H: '([01]\\d|2[0-3])', I: '(0[1-9]|1[0-2])',
  M: '[0-5]\\d', S: '([0-5]\\d|60)', f: '\\d{1,6}', p: '(AM|PM|am|pm)', b: '[A-Za-z]{3}', B: '[A-Za-z]+', a: '[A-Za-z]{3}',
  A: '[A-Za-z]+', j: '\\d{3}', z: '([+-]\\d{4})?', Z: '[A-Za-z]*', '%': '%', e: '( \\d|\\d{2})',
}

/** Compiles a strftime format into an anchored regular expression; an unknown directive is a bad kwarg. */
function strftimeRegex(format: string): RegExp {
  let out = ''
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!
    if (c !== '%') { out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); continue }
    const d = format[++i]
    if (d === undefined || !(d in DIRECTIVES)) throw Errors.badInput('kwargs.strftime_format', `unsupported directive %${d ?? ''} (supported: ${Object.keys(DIRECTIVES).map((k) => `%${k}`).join(' ')})`)
    out += DIRECTIVES[d]
  }
  return new RegExp(`^${out}$`)
}

/** Each value is written in the strftime format `strftime_format`. */
export const expectColumnValuesToMatchStrftimeFormat = defineValueCheckExpectation({
  type: 'expect_column_values_to_match_strftime_format',
  kwargs: { strftime_format: z.string().min(1) },
  check: (k) => {
    const re = strftimeRegex(k.strftime_format)
    return (value) => re.test(value)
  },
})
