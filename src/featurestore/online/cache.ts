import type { EncodedRow } from './online-table.js'
import type { PackedView } from './packed-view.js'

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
 */
export class OnlineCache {
  private readonly views = new Map<string, ViewEntry>()

  /** The entries of `viewKey`, filling them with `load` on first use. */
  entries(viewKey: string, load: () => Promise<PackedView>): PackedView | Promise<PackedView> {
    const view = this.view(viewKey)
    if (view.entries) return view.entries
    view.loading ??= this.fill(view, load)
    return view.loading
  }

  /** Applies committed records with the newer-wins rule; a view not yet filled is left to its fill. */
  applyCommitted(viewKey: string, rows: readonly EncodedRow[]): void {
    const view = this.view(viewKey)
    view.generation++
    if (!view.entries) return
    for (const r of rows) view.entries.putIfNewer(r.entity_key, r.feature_values, r.event_ts_us, r.created_ts_us)
  }

  private async fill(view: ViewEntry, load: () => Promise<PackedView>): Promise<PackedView> {
    try {
      for (;;) {
        const generation = view.generation
        const entries = await load()
        if (generation === view.generation) {
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
