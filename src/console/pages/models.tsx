import { useState } from 'preact/hooks'
import { useRoute } from 'preact-iso'
import { api, canWrite, enc, session, useApi, type ModelVersion, type RegisteredModel } from '../api.js'
import { Chart } from '../chart.js'
import { Diff } from '../diff.js'
import { Json, Load, Page, Paged, Time } from '../ui.js'

const COLORS = ['#2563eb', '#16a34a', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#dc2626']

export function Models() {
  const models = useApi<{ models: RegisteredModel[] }>('/api/v1/models')
  return (
    <Page title="Models">
      <Load loaded={models}>{(d) => (
        <Paged rows={d.models} text={(m) => `${m.name} ${Object.keys(m.aliases).join(' ')}`}>{(page) => (
          <table><thead><tr><th>Model</th><th>Latest version</th><th>Aliases</th><th>Updated</th></tr></thead><tbody>
            {page.map((m) => (
              <tr>
                <td><a href={`/models/${enc(m.name)}`}>{m.name}</a></td><td>v{m.latest_version}</td>
                <td>{Object.entries(m.aliases).map(([a, v]) => <a class="tag" href={`/models/${enc(m.name)}/versions/${v}`}>{a} → v{v}</a>)}</td>
                <td><Time iso={m.updated_at} /></td>
              </tr>
            ))}
          </tbody></table>
        )}</Paged>
      )}</Load>
    </Page>
  )
}

/** The overall metrics of versions, by metric name (every name any version has). */
export function metricTable(versions: ModelVersion[]): { names: string[]; value: (v: ModelVersion, name: string) => number | undefined } {
  const names = [...new Set(versions.flatMap((v) => Object.keys(v.metrics.overall ?? {})))].sort()
  return { names, value: (v, name) => v.metrics.overall?.[name] }
}

/** A model: versions with aliases, every version's metrics side by side and charted across versions. */
export function ModelPage() {
  const { params } = useRoute()
  const name = params.name!
  const model = useApi<{ model: RegisteredModel; versions: ModelVersion[] }>(`/api/v1/models/${enc(name)}`)
  return (
    <Page title={<>model {name}</>}>
      <Load loaded={model}>{(d) => {
        const versions = [...d.versions].sort((a, b) => a.version - b.version)
        const { names, value } = metricTable(versions)
        const shown = versions.slice(-30)
        return (
          <>
            {d.model.description ? <p>{d.model.description}</p> : null}
            {canWrite(session.value) ? <AliasForm model={d.model} onDone={model.reload} /> : null}
            <h2>Metrics across versions</h2>
            {versions.length > 1 && names.length ? (
              <Chart title="overall metrics by version" time={false} x={versions.map((v) => v.version)}
                series={names.map((n, i) => ({ label: n, values: versions.map((v) => value(v, n) ?? null), color: COLORS[i % COLORS.length]!, style: 'line' as const }))} />
            ) : null}
            <div class="grid-wrap">
              <table class="metrics"><thead><tr><th>Metric</th>{shown.map((v) => <th><a href={`/models/${enc(name)}/versions/${v.version}`}>v{v.version}</a>{v.aliases.map((a) => <div class="tag">{a}</div>)}</th>)}</tr></thead><tbody>
                {names.map((n) => <tr><th>{n}</th>{shown.map((v) => <td class="num">{fmt(value(v, n))}</td>)}</tr>)}
                <tr><th>run</th>{shown.map((v) => <td>{v.run_id ? <a href={`/runs/${enc(v.run_id)}`}>run</a> : '—'}</td>)}</tr>
                <tr><th>lineage</th>{shown.map((v) => <td><a href={`/lineage/models/${enc(name)}/${v.version}`}>graph</a></td>)}</tr>
              </tbody></table>
            </div>
            <h2>Versions</h2>
            <table><thead><tr><th>Version</th><th>Aliases</th><th>Created</th><th>Feature views</th><th>Tags</th></tr></thead><tbody>
              {[...versions].reverse().map((v) => (
                <tr>
                  <td><a href={`/models/${enc(name)}/versions/${v.version}`}>v{v.version}</a></td>
                  <td>{v.aliases.map((a) => <span class="tag">{a}</span>)}</td>
                  <td><Time iso={v.created_at} /></td>
                  <td>{(v.lineage.feature_views ?? []).map((f) => <a class="tag" href={`/registry/feature-views/${enc(f.name)}?version=${f.version}`}>{f.name}@{f.version}</a>)}</td>
                  <td>{Object.entries(v.tags).map(([k, t]) => <span class="tag">{k}={t}</span>)}</td>
                </tr>
              ))}
            </tbody></table>
          </>
        )
      }}</Load>
    </Page>
  )
}

function fmt(n: number | undefined): string {
  return n === undefined ? '—' : Math.abs(n) >= 1000 ? n.toFixed(0) : n.toFixed(4)
}

/** Point an alias at a version, or remove it (a write key). */
function AliasForm({ model, onDone }: { model: RegisteredModel; onDone: () => void }) {
  const [alias, setAlias] = useState('champion')
  const [version, setVersion] = useState(String(model.latest_version))
  const [error, setError] = useState<string>()
  const call = async (method: 'PUT' | 'DELETE') => {
    setError(undefined)
    try {
      const path = `/api/v1/models/${enc(model.name)}/aliases/${enc(alias)}`
      await api(method === 'PUT' ? path : path, method === 'PUT' ? { method, body: { version: Number(version) } } : { method })
      onDone()
    } catch (e) {
      setError((e as Error).message)
    }
  }
  return (
    <form class="inline actions" onSubmit={(e) => { e.preventDefault(); void call('PUT') }}>
      <label>Alias <input value={alias} onInput={(e) => setAlias((e.target as HTMLInputElement).value)} /></label>
      <label>Version <input type="number" min="1" value={version} onInput={(e) => setVersion((e.target as HTMLInputElement).value)} /></label>
      <button type="submit" class="primary">Promote</button>
      <button type="button" onClick={() => void call('DELETE')}>Remove alias</button>
      {error ? <span class="error" role="alert">{error}</span> : null}
    </form>
  )
}

/** One version: metrics (overall and per slice), signature, training metadata and its change from the previous version. */
export function ModelVersionPage() {
  const { params } = useRoute()
  const name = params.name!
  const n = Number(params.version)
  const version = useApi<ModelVersion>(`/api/v1/models/${enc(name)}/versions/${n}`)
  const previous = useApi<ModelVersion>(n > 1 ? `/api/v1/models/${enc(name)}/versions/${n - 1}` : null)
  return (
    <Load loaded={version}>{(v) => {
      const { overall, ...slices } = v.metrics
      return (
        <Page title={<>{name} v{v.version} {v.aliases.map((a) => <span class="tag">{a}</span>)}</>} sub={<>created <Time iso={v.created_at} />{v.run_id ? <>, by run <a href={`/runs/${enc(v.run_id)}`} class="mono">{v.run_id}</a></> : null}, <a href={`/lineage/models/${enc(name)}/${v.version}`}>lineage graph</a></>}>
          <h2>Metrics</h2>
          <table class="metrics"><tbody>{Object.entries(overall ?? {}).map(([k, m]) => <tr><th>{k}</th><td class="num">{fmt(m)}</td><td class="num muted">{previous.data?.metrics.overall?.[k] !== undefined ? delta(m, previous.data.metrics.overall[k]!) : ''}</td></tr>)}</tbody></table>
          {Object.keys(slices).length ? <><h2>Per slice and evaluation details</h2><Json value={slices} /></> : null}
          <h2>Training metadata</h2>
          {previous.data ? <Diff before={previous.data.training} after={v.training} beforeLabel={`v${v.version - 1}`} afterLabel={`v${v.version}`} /> : <Json value={v.training} />}
          <h2>Signature and lineage</h2>
          <Json value={{ signature: (v as unknown as { signature: unknown }).signature, lineage: v.lineage, tags: v.tags }} />
        </Page>
      )
    }}</Load>
  )
}

function delta(now: number, before: number): string {
  const d = now - before
  return `${d >= 0 ? '+' : ''}${d.toFixed(4)} vs previous`
}
