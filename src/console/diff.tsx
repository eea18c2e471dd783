import { canonicalize, diffLines } from 'diff'

type Side = { text: string; kind: 'same' | 'removed' | 'added' | 'empty' }

/**
 * Two JSON values side by side, keys in a canonical order, changed lines highlighted (jsdiff's
 * line diff). A removed run next to an added run is paired line by line, like a code review.
 */
export function Diff({ before, after, beforeLabel, afterLabel }: { before: unknown; after: unknown; beforeLabel: string; afterLabel: string }) {
  const text = (v: unknown) => (v === undefined ? '' : `${JSON.stringify(canonicalize(v, [], [], (_k: string, x: unknown) => x), null, 2)}\n`)
  const changes = diffLines(text(before), text(after))
  const rows: [Side, Side][] = []
  const lines = (value: string) => value.replace(/\n$/, '').split('\n')
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!
    if (!c.added && !c.removed) {
      for (const l of lines(c.value)) rows.push([{ text: l, kind: 'same' }, { text: l, kind: 'same' }])
      continue
    }
    const removed = c.removed ? lines(c.value) : []
    const next = changes[i + 1]
    const added = c.added ? lines(c.value) : next?.added ? (i++, lines(next.value)) : []
    for (let j = 0; j < Math.max(removed.length, added.length); j++) {
      rows.push([
        j < removed.length ? { text: removed[j]!, kind: 'removed' } : { text: '', kind: 'empty' },
        j < added.length ? { text: added[j]!, kind: 'added' } : { text: '', kind: 'empty' },
      ])
    }
  }
  const changed = rows.filter(([a, b]) => a.kind !== 'same' || b.kind !== 'same').length
  return (
    <div class="diff" data-changed={changed}>
      <p class="muted">{changed ? `${changed} changed line${changed === 1 ? '' : 's'}` : 'identical'}</p>
      <table>
        <thead><tr><th>{beforeLabel}</th><th>{afterLabel}</th></tr></thead>
        <tbody>{rows.map(([a, b]) => <tr><td class={`d-${a.kind}`}>{a.text}</td><td class={`d-${b.kind}`}>{b.text}</td></tr>)}</tbody>
      </table>
    </div>
  )
}
