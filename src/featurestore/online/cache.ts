import type { EncodedRow } from './online-table.js'
import { PackedStore, PackedView } from './packed-view.js'

interface ViewEntry {
  entries?: PackedView
  loading?: Promise<PackedView>
  /** Bumped by every write, so a fill that raced a write is discarded and redone. */
  generation: number
}

/**
 * The embedded online store's in-process copy of each view version, filled from the online
 * table on first read and kept current by this process's own writes (in embedded mode this
 * process owns the database file, so no other writer exists). Updates apply in one synchronous
 * pass after the write commits, so a reader sees a view before or after a write, never a mix.
 *
 * All views share one PackedStore, keyed by entity, so that a request's rows of several views
 * for one entity lie together. A view filled whole lands at the end of the store; the store is
 * then laid out entity by entity again (`compact`), at once for a fill on first read and after
 * the last view for `preload`.
 */
export class OnlineCache {
  private readonly store = new PackedStore('the embedded online cache')
  private readonly views = new Map<string, ViewEntry>()

  /** The entries of `viewKey`, filling them with the rows `load` reads on first use. */
  entries(viewKey: string, load: () => Promise<readonly EncodedRow[]>): PackedView | Promise<PackedView> {
    const view = this.view(viewKey)
    if (view.entries) return view.entries
    view.loading ??= this.fill(viewKey, view, load).then((entries) => {
      this.store.compact()
      return entries
    })
    return view.loading
  }

  /** Fills each view not filled yet, then lays the store out once. */
  async preload(views: readonly { viewKey: string; load: () => Promise<readonly EncodedRow[]> }[]): Promise<void> {
    let filled = false
    for (const { viewKey, load } of views) {
      const view = this.view(viewKey)
      if (view.entries) continue
      // A fill already under way (a first read) lays the store out itself.
      if (view.loading) await view.loading
      else {
        view.loading = this.fill(viewKey, view, load)
        await view.loading
        filled = true
      }
    }
    if (filled) this.store.compact()
  }

  /** Whether the view is filled: a write must then hand its rows to `applyCommitted` (a fill under way is redone by it anyway). */
  holds(viewKey: string): boolean {
    return this.views.get(viewKey)?.entries !== undefined
  }

  /** Applies committed records with the newer-wins rule; a view not yet filled is left to its fill. */
  applyCommitted(viewKey: string, rows: readonly EncodedRow[]): void {
    const view = this.view(viewKey)
    view.generation++
    if (!view.entries) return
    for (const r of rows) view.entries.putIfNewer(r.entity_key, r.feature_values, r.event_ts_us, r.created_ts_us)
  }

  /** Reads the view's rows until no write raced the read, then packs them, in one synchronous pass. */
  private async fill(viewKey: string, view: ViewEntry, load: () => Promise<readonly EncodedRow[]>): Promise<PackedView> {
    try {
      for (;;) {
        const generation = view.generation
        const rows = await load()
        if (generation === view.generation) {
          const entries = new PackedView(`feature view ${viewKey}`, this.store)
          for (const r of rows) entries.putIfNewer(r.entity_key, r.feature_values, r.event_ts_us, r.created_ts_us)
          view.entries = entries
          return entries
        }
      }
    } finally {
      view.loading = undefined
    }
  }

  private view(viewKey: string): ViewEntry {
    let view = this.views.get(viewKey)
    if (!view) {
      view = { generation: 0 }
      this.views.set(viewKey, view)
    }
    return view
  }
}
