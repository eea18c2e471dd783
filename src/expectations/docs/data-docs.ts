import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { html, trusted, type Html } from './html.js'

/**
 * Static data docs, rendered from stored validation results (GX's validation-result shape) and kept
 * apart from the expectation definitions, as GX's renderers should have been: one page per result
 * with each expectation, its outcome, observed value and sample unexpected values, and an index of
 * runs showing success over time per checkpoint (or suite). Every piece of data is escaped.
 */

/** A stored validation result, as data docs need it. */
export interface DocsResult {
  readonly id: string
  readonly checkpoint: string | null
  readonly suiteName: string
  readonly suiteVersion: number | null
  readonly batch: string
  readonly success: boolean
  readonly runTime: string
  /** The GX validation result (parsed JSON). */
  readonly result: unknown
}

/** The GX expectation-result fields the pages show; everything else is ignored. */
interface ExpectationResultView {
  success?: boolean
  status?: string
  expectation_config?: { type?: string; expectation_type?: string; kwargs?: Record<string, unknown>; severity?: string; meta?: Record<string, unknown> }
  result?: Record<string, unknown>
  exception_info?: { raised_exception?: boolean; exception_message?: string | null }
}

/** The file name of a result's page. Ids are newId() strings, but keep the name safe whatever they hold. */
export function resultPageName(id: string): string {
  return `result-${id.replace(/[^A-Za-z0-9_-]/g, '_')}.html`
}

/** Renders every page: `index.html` and one page per result. Returns file name → HTML. */
export function renderDataDocs(results: readonly DocsResult[]): Map<string, string> {
  const pages = new Map<string, string>()
  const newestFirst = [...results].sort((a, b) => (a.runTime < b.runTime ? 1 : a.runTime > b.runTime ? -1 : 0))
  pages.set('index.html', page('asof data docs', renderIndex(newestFirst)).text)
  for (const r of newestFirst) pages.set(resultPageName(r.id), page(`${r.suiteName} on ${r.batch}`, renderResult(r)).text)
  return pages
}

/** Writes the pages into `dir` (created if needed) and returns the paths written. */
export async function writeDataDocs(dir: string, results: readonly DocsResult[]): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const written: string[] = []
  for (const [name, text] of renderDataDocs(results)) {
    const path = join(dir, name)
    await writeFile(path, text)
    written.push(path)
  }
  return written
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2430}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #dde2ea;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f8}code,pre{font:12px ui-monospace,monospace;white-space:pre-wrap;word-break:break-word}
.pass{color:#17753a}.fail,.error{color:#b42318}.warn{color:#9a6700}.info{color:#475467}
.strip{display:flex;gap:2px}.strip a{width:12px;height:18px;display:block;border-radius:2px}
.strip .ok{background:#2da44e}.strip .ko{background:#cf222e}
.badge{font-weight:600;text-transform:uppercase;font-size:12px}`

function page(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>${trusted(STYLE)}</style></head>
<body>${body}</body></html>
`
}

function renderIndex(results: readonly DocsResult[]): Html {
  const groups = new Map<string, DocsResult[]>()
  for (const r of results) {
    const key = r.checkpoint ? `checkpoint ${r.checkpoint}` : `suite ${r.suiteName}`
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  const strips = [...groups.entries()].map(([key, runs]) => html`<tr><td>${key}</td>
<td>${runs.filter((r) => r.success).length} / ${runs.length}</td>
<td><div class="strip">${[...runs].reverse().map((r) => html`<a class="${r.success ? 'ok' : 'ko'}" href="${resultPageName(r.id)}" title="${r.runTime}: ${r.success ? 'passed' : 'failed'}"></a>`)}</div></td></tr>`)
  return html`<h1>Data docs</h1>
<h2>Success over time</h2>
<table><thead><tr><th>Gate</th><th>Passed</th><th>Runs, oldest to newest</th></tr></thead><tbody>${strips}</tbody></table>
<h2>Runs</h2>
<table><thead><tr><th>Time (UTC)</th><th>Checkpoint</th><th>Suite</th><th>Batch</th><th>Outcome</th><th>Expectations passed</th></tr></thead>
<tbody>${results.map((r) => html`<tr><td><a href="${resultPageName(r.id)}">${r.runTime}</a></td><td>${r.checkpoint ?? '—'}</td>
<td>${r.suiteName}${r.suiteVersion !== null ? ` v${r.suiteVersion}` : ''}</td><td><code>${r.batch}</code></td>
<td class="badge ${r.success ? 'pass' : 'fail'}">${r.success ? 'passed' : 'failed'}</td><td>${statisticsText(r.result)}</td></tr>`)}</tbody></table>`
}

function statisticsText(result: unknown): string {
  const s = (result as { statistics?: { successful_expectations?: number; evaluated_expectations?: number } } | null)?.statistics
  return s && s.evaluated_expectations !== undefined ? `${s.successful_expectations ?? 0} / ${s.evaluated_expectations}` : ''
}

function renderResult(r: DocsResult): Html {
  const results = ((r.result as { results?: ExpectationResultView[] } | null)?.results ?? [])
  return html`<p><a href="index.html">← all runs</a></p>
<h1>${r.suiteName}${r.suiteVersion !== null ? ` v${r.suiteVersion}` : ''} <span class="badge ${r.success ? 'pass' : 'fail'}">${r.success ? 'passed' : 'failed'}</span></h1>
<table><tbody><tr><th>Batch</th><td><code>${r.batch}</code></td></tr><tr><th>Run time (UTC)</th><td>${r.runTime}</td></tr>
<tr><th>Checkpoint</th><td>${r.checkpoint ?? '—'}</td></tr><tr><th>Result id</th><td><code>${r.id}</code></td></tr>
<tr><th>Expectations passed</th><td>${statisticsText(r.result)}</td></tr></tbody></table>
<h2>Expectations</h2>
<table><thead><tr><th>#</th><th>Outcome</th><th>Expectation</th><th>Observed</th><th>Sample unexpected values</th></tr></thead>
<tbody>${results.map((e, i) => renderExpectation(e, i))}</tbody></table>`
}

/** pass / warn / fail / error: the result's own status when present, else derived as GX 1.x does from severity. */
export function expectationStatus(e: ExpectationResultView): string {
  if (typeof e.status === 'string') return e.status
  if (e.exception_info?.raised_exception) return 'error'
  if (e.success) return 'pass'
  const severity = e.expectation_config?.severity ?? (e.expectation_config?.meta?.severity as string | undefined) ?? 'critical'
  return severity === 'critical' ? 'fail' : 'warn'
}

function renderExpectation(e: ExpectationResultView, index: number): Html {
  const config = e.expectation_config ?? {}
  const type = config.type ?? config.expectation_type ?? '(unknown)'
  const status = expectationStatus(e)
  const result = e.result ?? {}
  const unexpected = (result.partial_unexpected_list ?? result.unexpected_list) as unknown[] | undefined
  const query = result.unexpected_rows_query
  const kwargs = Object.entries(config.kwargs ?? {}).filter(([k]) => k !== 'result_format')
  return html`<tr><td>${index}</td><td class="badge ${status}">${status}</td>
<td><code>${type}</code><br>${kwargs.map(([k, v]) => html`<code>${k}</code>=<code>${JSON.stringify(v)}</code> `)}
${e.exception_info?.raised_exception ? html`<br><span class="error">${e.exception_info.exception_message ?? 'error'}</span>` : ''}</td>
<td>${observedText(result)}</td>
<td>${unexpected && unexpected.length ? html`<code>${unexpected.slice(0, 20).map((v) => JSON.stringify(v)).join(', ')}</code>` : ''}
${typeof query === 'string' ? html`<details><summary>query for the failing rows</summary><pre>${query}</pre></details>` : ''}</td></tr>`
}

function observedText(result: Record<string, unknown>): string {
  if ('observed_value' in result) return JSON.stringify(result.observed_value)
  if (typeof result.unexpected_count === 'number') {
    const pct = typeof result.unexpected_percent === 'number' ? ` (${result.unexpected_percent.toFixed(2)}%)` : ''
    return `${result.unexpected_count} unexpected of ${String(result.element_count ?? '?')}${pct}`
  }
  return ''
}
