import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import type { Loaded } from './api.js'

/** A time in the viewer's zone; the UTC instant on hover. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">—</span>
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return <span>{iso}</span>
  return <time dateTime={d.toISOString()} title={`${d.toISOString().replace('T', ' ').replace('Z', ' UTC')}`}>{d.toLocaleString()}</time>
}

/** How long ago, for freshness ("3 h ago"). */
export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never'
  const s = Math.max(0, (now - new Date(iso).getTime()) / 1000)
  if (s < 90) return `${Math.round(s)} s ago`
  if (s < 5400) return `${Math.round(s / 60)} min ago`
  if (s < 129600) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86400)} d ago`
}

/** Between two instants, as people read durations. */
export function duration(start: string | null | undefined, end: string | null | undefined): string {
  if (!start) return ''
  const ms = (end ? new Date(end).getTime() : Date.now()) - new Date(start).getTime()
  if (ms < 1000) return `${ms} ms`
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

/** A run or task state as a coloured label (the grid uses the same classes). */
export function State({ state }: { state: string }) {
  return <span class={`state state-${state}`}>{state}</span>
}

export function Outcome({ success }: { success: boolean }) {
  return <span class={`state ${success ? 'state-success' : 'state-failed'}`}>{success ? 'passed' : 'failed'}</span>
}

/** Loading, error or the page's content. */
export function Load<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.error) return <p class="error" role="alert">{loaded.error.message}</p>
  if (loaded.data === undefined) return <p class="muted">Loading…</p>
  return <>{children(loaded.data)}</>
}

export function Page({ title, sub, children }: { title: ComponentChildren; sub?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section>
      <h1>{title}</h1>
      {sub ? <p class="sub">{sub}</p> : null}
      {children}
    </section>
  )
}

/** Any JSON value, shown as text (never as HTML). */
export function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>
}

/** A compact one-line rendering of a value for tables. */
export function short(value: unknown, max = 80): string {
  if (value === undefined) return ''
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/**
 * A list shown a page at a time with a text filter: `rows` are filtered by `text(row)`, then
 * sliced; the filter and page live in the URL's query so a filtered view can be shared.
 */
export function Paged<T>({ rows, text, pageSize = 50, children }: {
  rows: readonly T[]; text: (row: T) => string; pageSize?: number; children: (rows: T[]) => ComponentChildren
}) {
  const params = new URLSearchParams(location.search)
  const [filter, setFilter] = useState(params.get('q') ?? '')
  const [page, setPage] = useState(Number(params.get('page') ?? 0) || 0)
  const update = (q: string, p: number) => {
    setFilter(q)
    setPage(p)
    const next = new URLSearchParams(location.search)
    if (q) next.set('q', q)
    else next.delete('q')
    if (p) next.set('page', String(p))
    else next.delete('page')
    const search = next.toString()
    history.replaceState(history.state, '', `${location.pathname}${search ? `?${search}` : ''}`)
  }
  const needle = filter.trim().toLowerCase()
  const matching = needle ? rows.filter((r) => text(r).toLowerCase().includes(needle)) : [...rows]
  const pages = Math.max(1, Math.ceil(matching.length / pageSize))
  const at = Math.min(page, pages - 1)
  return (
    <div class="paged">
      <div class="toolbar">
        <input type="search" placeholder="Filter…" aria-label="Filter" value={filter} onInput={(e) => update((e.target as HTMLInputElement).value, 0)} />
        <span class="muted">{matching.length} of {rows.length}</span>
        {pages > 1 ? (
          <span class="pager">
            <button disabled={at === 0} onClick={() => update(filter, at - 1)}>‹ Prev</button>
            <span>page {at + 1} / {pages}</span>
            <button disabled={at >= pages - 1} onClick={() => update(filter, at + 1)}>Next ›</button>
          </span>
        ) : null}
      </div>
      {children(matching.slice(at * pageSize, (at + 1) * pageSize))}
    </div>
  )
}
