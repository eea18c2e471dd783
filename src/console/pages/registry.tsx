import { useLocation, useRoute } from 'preact-iso'
import { enc, useApi, type Checkpoint, type MaterializationRun, type ModelVersion, type RegistrySummary, type RegistryVersion } from '../api.js'
import { Diff } from '../diff.js'
import { Json, Load, Page, Paged, State, Time } from '../ui.js'

const KINDS = [
  ['feature-views', 'Feature views'], ['entities', 'Entities'], ['sources', 'Sources'], ['feature-services', 'Feature services'],
] as const

/** Every registry object of a kind with its current version (Feast UI's lists). */
export function Registry() {
  const { params } = useRoute()
  const kind = params.kind ?? 'feature-views'
  const list = useApi<Record<string, RegistrySummary[]>>(`/api/v1/${enc(kind)}`)
  return (
    <Page title="Feature registry">
      <nav class="tabs">{KINDS.map(([k, label]) => <a href={`/registry/${k}`} class={k === kind ? 'active' : ''}>{label}</a>)}</nav>
      <Load loaded={list}>{(d) => {
        const rows = Object.values(d)[0] ?? []
        return (
          <Paged rows={rows} text={(r) => r.name}>{(page) => (
            <table><thead><tr><th>Name</th><th>Current version</th><th>Spec hash</th><th>Created</th><th>Updated</th></tr></thead><tbody>
              {page.map((o) => (
                <tr><td><a href={`/registry/${kind}/${enc(o.name)}`}>{o.name}</a></td><td>v{o.current_version}</td><td class="mono">{o.spec_hash.slice(0, 12)}</td><td><Time iso={o.created_at} /></td><td><Time iso={o.updated_at} /></td></tr>
              ))}
            </tbody></table>
          )}</Paged>
        )
      }}</Load>
    </Page>
  )
}

/** One object: a version's definition, its history, and a diff between any two versions. */
export function RegistryObject() {
  const { params, query } = useRoute()
  const { route, path } = useLocation()
  const kind = params.kind!
  const name = params.name!
  const versions = useApi<{ versions: RegistryVersion[] }>(`/api/v1/${enc(kind)}/${enc(name)}/versions`)
  return (
    <Page title={<>{name} <span class="muted">{kind.replace(/-/g, ' ').replace(/s$/, '')}</span></>}>
      <Load loaded={versions}>{(d) => {
        const all = [...d.versions].sort((a, b) => a.version - b.version)
        const latest = all[all.length - 1]!
        const shown = all.find((v) => v.version === Number(query.version)) ?? latest
        const a = Number(query.a ?? (all.length > 1 ? all[all.length - 2]!.version : latest.version))
        const b = Number(query.b ?? latest.version)
        const pick = (next: Record<string, string | number>) => route(`${path}?${new URLSearchParams({ ...query, ...Object.fromEntries(Object.entries(next).map(([k, v]) => [k, String(v)])) })}`, true)
        const spec = shown.spec
        return (
          <>
            <p>
              Version{' '}
              <select aria-label="Version" value={shown.version} onChange={(e) => pick({ version: (e.target as HTMLSelectElement).value })}>
                {all.map((v) => <option value={v.version}>v{v.version}{v === latest ? ' (current)' : ''}</option>)}
              </select>{' '}
              created <Time iso={shown.created_at} />, spec hash <span class="mono">{shown.spec_hash.slice(0, 16)}</span>
            </p>
            {kind === 'feature-views' ? <FeatureViewDetails name={name} version={shown.version} spec={spec} /> : null}
            <h2>Definition</h2>
            <Json value={spec} />
            <h2>Versions</h2>
            <table><thead><tr><th>Version</th><th>Created</th><th>Spec hash</th></tr></thead><tbody>
              {[...all].reverse().map((v) => <tr><td><a href={`${path}?version=${v.version}`}>v{v.version}</a></td><td><Time iso={v.created_at} /></td><td class="mono">{v.spec_hash.slice(0, 16)}</td></tr>)}
            </tbody></table>
            <h2>Diff between versions</h2>
            <p>
              <select aria-label="From version" value={a} onChange={(e) => pick({ a: (e.target as HTMLSelectElement).value })}>{all.map((v) => <option value={v.version}>v{v.version}</option>)}</select>
              {' → '}
              <select aria-label="To version" value={b} onChange={(e) => pick({ b: (e.target as HTMLSelectElement).value })}>{all.map((v) => <option value={v.version}>v{v.version}</option>)}</select>
            </p>
            <Diff before={all.find((v) => v.version === a)?.spec} after={all.find((v) => v.version === b)?.spec} beforeLabel={`v${a}`} afterLabel={`v${b}`} />
          </>
        )
      }}</Load>
    </Page>
  )
}

interface ViewSpec {
  schema?: { name: string; dtype: string; description?: string }[]
  entities?: string[]; ttl_seconds?: number | null; tags?: Record<string, string>; online?: boolean; owner?: string; description?: string
  source?: { name?: string; kind?: string; path?: string; timestamp_field?: string }
}

/** Schema, source, ttl, tags, the checkpoints that validate the view, its materializations and the models that read it. */
function FeatureViewDetails({ name, version, spec }: { name: string; version: number; spec: Record<string, unknown> }) {
  const v = spec as ViewSpec
  const checkpoints = useApi<{ checkpoints: Checkpoint[] }>('/api/v1/checkpoints')
  const runs = useApi<{ runs: MaterializationRun[] }>(`/api/v1/materialization-runs?view=${enc(name)}&limit=50`)
  return (
    <>
      <dl class="facts">
        <dt>Entities</dt><dd>{(v.entities ?? []).map((e) => <a class="tag" href={`/registry/entities/${enc(e)}`}>{e}</a>)}</dd>
        <dt>Source</dt><dd>{v.source?.name ? <a href={`/registry/sources/${enc(v.source.name)}`}>{v.source.name}</a> : '—'} {v.source?.kind ? <span class="muted">({v.source.kind}{v.source.path ? `: ${v.source.path}` : ''})</span> : null}</dd>
        <dt>TTL</dt><dd>{v.ttl_seconds ? `${v.ttl_seconds} s (${(v.ttl_seconds / 3600).toFixed(1)} h)` : 'none'}</dd>
        <dt>Online</dt><dd>{v.online ? 'yes' : 'no'}</dd>
        <dt>Tags</dt><dd>{Object.entries(v.tags ?? {}).map(([k, t]) => <span class="tag">{k}={t}</span>)}{Object.keys(v.tags ?? {}).length ? null : <span class="muted">none</span>}</dd>
        <dt>Suites</dt><dd>
          <Load loaded={checkpoints}>{(d) => {
            const on = d.checkpoints.filter((c) => c.validations.some((val) => {
              const batch = val.batch as { type?: string; name?: string }
              return batch.type === 'feature_view' && batch.name === name
            }))
            return on.length ? <>{on.map((c) => <a class="tag" href={`/validation/checkpoints/${enc(c.name)}`}>checkpoint {c.name}</a>)}</> : <span class="muted">no checkpoint validates this view</span>
          }}</Load>
        </dd>
        <dt>Lineage</dt><dd><a href={`/lineage/feature-views/${enc(name)}/${version}`}>models that read v{version}</a></dd>
      </dl>
      <h2>Schema</h2>
      <table><thead><tr><th>Feature</th><th>Type</th><th>Description</th></tr></thead><tbody>
        {(v.schema ?? []).map((f) => <tr><td>{f.name}</td><td class="mono">{f.dtype}</td><td>{f.description}</td></tr>)}
      </tbody></table>
      <h2>Materialization history</h2>
      <Load loaded={runs}>{(d) => d.runs.length ? (
        <table><thead><tr><th>Started</th><th>Version</th><th>Interval</th><th>Status</th><th>Rows read / written</th><th>Message</th></tr></thead><tbody>
          {d.runs.map((r) => <tr><td><Time iso={r.started_at} /></td><td>v{r.version}</td><td><Time iso={r.start_ts} /> → <Time iso={r.end_ts} /></td><td><State state={r.status} /></td><td>{r.rows_read} / {r.rows_written}</td><td>{r.message}</td></tr>)}
        </tbody></table>
      ) : <p class="muted">Never materialized.</p>}</Load>
    </>
  )
}

/** The model versions whose lineage names this feature view at this version. */
export function modelsReading(versions: ModelVersion[], view: string, version: number): ModelVersion[] {
  return versions.filter((m) => (m.lineage.feature_views ?? []).some((f) => f.name === view && f.version === version))
}
