import { useEffect, useState } from 'preact/hooks'
import { useRoute } from 'preact-iso'
import { api, enc, useApi, type ModelVersion, type RegistryVersion, type RunSummary, type StoredResult } from '../api.js'
import { Graph, type GraphNode } from '../graph.js'
import { Load, Page, Time } from '../ui.js'
import { modelsReading } from './registry.js'

interface LineageData {
  model: ModelVersion
  views: RegistryVersion[]
  results: StoredResult[]
  run: RunSummary | undefined
}

/**
 * A model version's lineage as a graph: sources → feature-view versions → training dataset →
 * the checkpoint results that gated it → the pipeline run → the model version → its aliases.
 */
export function lineageGraph({ model, views, results, run }: LineageData): { nodes: GraphNode[]; edges: [string, string][] } {
  const nodes: GraphNode[] = []
  const edges: [string, string][] = []
  const l = model.lineage
  const dataset = l.dataset ? 'dataset' : undefined
  const runId = l.pipeline_run ?? model.run_id ?? undefined
  const modelId = `model:${model.version}`
  for (const v of views) {
    const id = `fv:${v.name}@${v.version}`
    nodes.push({ id, kind: 'feature view', label: `${v.name} v${v.version}`, detail: `${(v.spec.schema as unknown[] | undefined)?.length ?? '?'} features`, href: `/registry/feature-views/${enc(v.name)}?version=${v.version}` })
    const source = (v.spec.source as { name?: string } | undefined)?.name
    if (source) {
      const sid = `source:${source}`
      if (!nodes.some((n) => n.id === sid)) nodes.push({ id: sid, kind: 'source', label: source, href: `/registry/sources/${enc(source)}` })
      edges.push([sid, id])
    }
    edges.push([id, dataset ?? (runId ? `run:${runId}` : modelId)])
  }
  if (l.dataset) {
    nodes.push({ id: 'dataset', kind: 'training dataset', label: `${l.dataset.rows} rows`, detail: `sha256 ${l.dataset.sha256.slice(0, 12)}` })
  }
  const gateTarget = runId ? `run:${runId}` : modelId
  for (const r of results) {
    const id = `result:${r.id}`
    nodes.push({ id, kind: 'checkpoint result', label: r.checkpoint ?? r.suite_name, detail: `${r.success ? 'passed' : 'failed'}, ${new Date(r.run_time).toLocaleString()}`, state: r.success ? 'success' : 'failed', href: `/validation/results/${enc(r.id)}` })
    if (dataset) edges.push([dataset, id])
    edges.push([id, gateTarget])
  }
  if (runId) {
    nodes.push({ id: `run:${runId}`, kind: 'pipeline run', label: l.pipeline ?? run?.run.pipeline ?? 'run', detail: run ? `${run.run.state}, ${runId}` : runId, state: run?.run.state, href: `/runs/${enc(runId)}` })
    if (dataset && !results.length) edges.push([dataset, `run:${runId}`])
    edges.push([`run:${runId}`, modelId])
  } else if (dataset) {
    edges.push([dataset, modelId])
  }
  nodes.push({ id: modelId, kind: 'model version', label: `${model.name} v${model.version}`, href: `/models/${enc(model.name)}/versions/${model.version}` })
  for (const a of model.aliases) {
    nodes.push({ id: `alias:${a}`, kind: 'alias', label: a, href: `/models/${enc(model.name)}` })
    edges.push([modelId, `alias:${a}`])
  }
  return { nodes, edges }
}

/** Loads everything a model version's graph shows, through the public API. */
function useLineage(name: string, version: number): { data?: LineageData; error?: Error } {
  const [state, setState] = useState<{ data?: LineageData; error?: Error }>({})
  useEffect(() => {
    let live = true
    void (async () => {
      const model = await api<ModelVersion>(`/api/v1/models/${enc(name)}/versions/${version}`)
      const l = model.lineage
      const runId = l.pipeline_run ?? model.run_id
      const [views, results, run] = await Promise.all([
        Promise.all((l.feature_views ?? []).map((f) => api<RegistryVersion>(`/api/v1/feature-views/${enc(f.name)}?version=${f.version}`))),
        Promise.all((l.checkpoint_result_ids ?? []).map((id) => api<StoredResult>(`/api/v1/results/${enc(id)}`))),
        runId ? api<RunSummary>(`/api/v1/runs/${enc(runId)}`).catch(() => undefined) : Promise.resolve(undefined),
      ])
      if (live) setState({ data: { model, views, results, run } })
    })().catch((error: Error) => { if (live) setState({ error }) })
    return () => { live = false }
  }, [name, version])
  return state
}

export function LineagePage() {
  const { params } = useRoute()
  const lineage = useLineage(params.name!, Number(params.version))
  return (
    <Page title={<>lineage of {params.name} v{params.version}</>} sub="Every node opens its page.">
      {lineage.error ? <p class="error" role="alert">{lineage.error.message}</p> : !lineage.data ? <p class="muted">Loading…</p> : (() => {
        const { nodes, edges } = lineageGraph(lineage.data)
        const d = lineage.data
        return (
          <>
            <div class="graph-wrap"><Graph nodes={nodes} edges={edges} label={`lineage of ${d.model.name} v${d.model.version}`} /></div>
            <dl class="facts">
              <dt>Feature refs</dt><dd class="mono">{(d.model.lineage.feature_refs ?? []).join(', ')}</dd>
              <dt>Dataset</dt><dd class="mono">{d.model.lineage.dataset ? `${d.model.lineage.dataset.uri} (${d.model.lineage.dataset.rows} rows, sha256 ${d.model.lineage.dataset.sha256})` : '—'}</dd>
              <dt>Trained</dt><dd><Time iso={d.model.created_at} /></dd>
            </dl>
          </>
        )
      })()}
    </Page>
  )
}

/** "Which models read version 3?": the model versions whose lineage names this feature view version. */
export function FeatureViewLineage() {
  const { params } = useRoute()
  const name = params.name!
  const version = Number(params.version)
  const versions = useApi<{ versions: ModelVersion[] }>('/api/v1/model-versions?limit=1000')
  return (
    <Page title={<>models reading {name} v{version}</>}>
      <Load loaded={versions}>{(d) => {
        const readers = modelsReading(d.versions, name, version)
        const nodes: GraphNode[] = [{ id: 'fv', kind: 'feature view', label: `${name} v${version}`, href: `/registry/feature-views/${enc(name)}?version=${version}` }]
        const edges: [string, string][] = []
        for (const m of readers) {
          const id = `m:${m.name}@${m.version}`
          nodes.push({ id, kind: 'model version', label: `${m.name} v${m.version}`, detail: m.aliases.join(', ') || undefined, href: `/lineage/models/${enc(m.name)}/${m.version}` })
          edges.push(['fv', id])
        }
        return readers.length
          ? <div class="graph-wrap"><Graph nodes={nodes} edges={edges} label={`models reading ${name} v${version}`} /></div>
          : <p class="muted">No registered model version was trained on {name} v{version}.</p>
      }}</Load>
    </Page>
  )
}
