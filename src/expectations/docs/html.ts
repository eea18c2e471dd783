/**
 * A tiny HTML builder whose only way to put text into a page escapes it: `html` tagged templates
 * escape every interpolated value unless it is itself an `Html` fragment made by this module.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string { return this.text }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[]

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return ''
  if (part instanceof Html) return part.text
  if (Array.isArray(part)) return part.map(render).join('')
  return escapeHtml(String(part))
}

/** `html\`<td>${value}</td>\``: values are escaped, nested `Html` fragments and arrays of them are kept. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!
  values.forEach((v, i) => { out += render(v) + strings[i + 1]! })
  return new Html(out)
}

/** Wraps markup written in this code base (a stylesheet constant), never data. */
export function trusted(markup: string): Html {
  return new Html(markup)
}
