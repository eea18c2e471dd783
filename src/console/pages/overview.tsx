import { useApi, enc, type Checkpoint, type MaterializationRun, type Pipeline, type RegisteredModel, type RegistrySummary, type Run, type StoredResult } from '../api.js'
import { age, Load, Outcome, Page, State, Time } from '../ui.js'

const ACTIVE = new Set(['queued', 'running', 'up_for_retry'])

/** The project at a glance: how much there is, what is red, what is running, what is stale. */
export function Overview() {
  const views = useApi<{ feature_views: RegistrySummary[] }>('/api/v1/feature-views')
  const entities = useApi<{ entities: RegistrySummary[] }>('/api/v1/entities')
  const services = useApi<{ feature_services: RegistrySummary[] }>('/api/v1/feature-services')
  const checkpoints = useApi<{ checkpoints: Checkpoint[] }>('/api/v1/checkpoints')
  const pipelines = useApi<{ pipelines: Pipeline[] }>('/api/v1/pipelines')
  const runs = useApi<{ runs: Run[] }>('/api/v1/runs?limit=1000', 5000)
  const models = useApi<{ models: RegisteredModel[] }>('/api/v1/models')
  const counts: [string, string, number | undefined][] = [
    ['Feature views', '/registry/feature-views', views.data?.feature_views.length],
    ['Entities', '/registry/entities', entities.data?.entities.length],
    ['Feature services', '/registry/feature-services', services.data?.feature_services.length],
    ['Checkpoints', '/validation', checkpoints.data?.checkpoints.length],
    ['Pipelines', '/pipelines', pipelines.data?.pipelines.length],
    ['Pipeline runs', '/pipelines', runs.data?.runs.length],
    ['Models', '/models', models.data?.models.length],
  ]
  return (
    <Page title="Overview">
      <dl class="counts">
        {counts.map(([label, href, n]) => (
          <a href={href} class="count" data-count={label}><dt>{label}</dt><dd>{n ?? '…'}</dd></a>
        ))}
      </dl>
      <div class="columns">
        <div>
          <h2>Checkpoints: last result</h2>
          <Load loaded={checkpoints}>{(d) => (
            d.checkpoints.length ? <ul class="plain">{d.checkpoints.map((c) => <LastResult name={c.name} />)}</ul> : <p class="muted">No checkpoints in the repo.</p>
          )}</Load>
          <h2>Models and their champion</h2>
          <Load loaded={models}>{(d) => (
            d.models.length ? (
              <table><thead><tr><th>Model</th><th>Latest</th><th>Champion</th><th>Aliases</th></tr></thead><tbody>
                {d.models.map((m) => (
                  <tr>
                    <td><a href={`/models/${enc(m.name)}`}>{m.name}</a></td>
                    <td>v{m.latest_version}</td>
                    <td>{m.aliases.champion ? <a href={`/models/${enc(m.name)}/versions/${m.aliases.champion}`}>v{m.aliases.champion}</a> : <span class="muted">none</span>}</td>
                    <td>{Object.entries(m.aliases).map(([a, v]) => <span class="tag">{a} → v{v}</span>)}</td>
                  </tr>
                ))}
              </tbody></table>
            ) : <p class="muted">No registered models yet.</p>
          )}</Load>
        </div>
        <div>
          <h2>Running and failed runs</h2>
          <Load loaded={runs}>{(d) => {
            const shown = d.runs.filter((r) => ACTIVE.has(r.state) || r.state === 'failed').slice(0, 20)
            return shown.length ? (
              <table><thead><tr><th>Run</th><th>Pipeline</th><th>State</th><th>Logical date</th></tr></thead><tbody>
                {shown.map((r) => (
                  <tr><td><a href={`/runs/${enc(r.id)}`}>{r.id}</a></td><td><a href={`/pipelines/${enc(r.pipeline)}`}>{r.pipeline}</a></td><td><State state={r.state} /></td><td><Time iso={r.logical_date} /></td></tr>
                ))}
              </tbody></table>
            ) : <p class="muted">No run is running or failed.</p>
          }}</Load>
          <h2>Online feature views: freshness</h2>
          <Freshness />
        </div>
      </div>
    </Page>
  )
}

function LastResult({ name }: { name: string }) {
  const last = useApi<{ results: StoredResult[] }>(`/api/v1/results?checkpoint=${enc(name)}&limit=1`)
  const r = last.data?.results[0]
  return (
    <li class="last-result" data-checkpoint={name}>
      <a href={`/validation/checkpoints/${enc(name)}`}>{name}</a>{' '}
      {last.data === undefined ? <span class="muted">…</span> : r ? <><a href={`/validation/results/${enc(r.id)}`}><Outcome success={r.success} /></a> <Time iso={r.run_time} /></> : <span class="muted">never run</span>}
    </li>
  )
}

function Freshness() {
  const runs = useApi<{ runs: MaterializationRun[] }>('/api/v1/materialization-runs?limit=1000')
  return (
    <Load loaded={runs}>{(d) => {
      const latest = new Map<string, MaterializationRun>()
      for (const r of d.runs) if (r.status === 'succeeded' && !latest.has(r.view)) latest.set(r.view, r)
      return latest.size ? (
        <table><thead><tr><th>View</th><th>Version</th><th>Last materialized</th><th>Data up to</th><th>Age</th></tr></thead><tbody>
          {[...latest.values()].map((r) => (
            <tr><td><a href={`/registry/feature-views/${enc(r.view)}`}>{r.view}</a></td><td>v{r.version}</td><td><Time iso={r.finished_at} /></td><td><Time iso={r.end_ts} /></td><td>{age(r.finished_at)}</td></tr>
          ))}
        </tbody></table>
      ) : <p class="muted">Nothing materialized yet.</p>
    }}</Load>
  )
}
