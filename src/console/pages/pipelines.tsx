import { useEffect, useState } from 'preact/hooks'
import { useLocation, useRoute } from 'preact-iso'
import { api, canWrite, enc, session, useApi, type Pipeline, type Run, type RunSummary, type TaskInstance } from '../api.js'
import { Graph } from '../graph.js'
import { duration, Json, Load, Page, Paged, short, State, Time } from '../ui.js'

const ACTIVE = new Set(['queued', 'running', 'up_for_retry', 'scheduled'])
/** How often a page with a live run asks again. */
const POLL_MS = 1000
const GRID_RUNS = 25

export function isActive(state: string): boolean {
  return ACTIVE.has(state)
}

/** Every pipeline with its recent runs as Airflow's grid. */
export function Pipelines() {
  const pipelines = useApi<{ pipelines: Pipeline[] }>('/api/v1/pipelines')
  const runs = useApi<{ runs: Run[] }>('/api/v1/runs?limit=1000', 5000)
  return (
    <Page title="Pipelines">
      <Load loaded={pipelines}>{(d) => (
        <table><thead><tr><th>Pipeline</th><th>Description</th><th>Tasks</th><th>Schedule</th><th>Last run</th><th>Runs</th></tr></thead><tbody>
          {d.pipelines.map((p) => {
            const mine = runs.data?.runs.filter((r) => r.pipeline === p.name) ?? []
            return (
              <tr>
                <td><a href={`/pipelines/${enc(p.name)}`}>{p.name}</a></td><td>{p.description}</td><td>{p.tasks.length}</td>
                <td class="mono">{p.schedule ?? 'manual'}</td>
                <td>{mine[0] ? <><a href={`/runs/${enc(mine[0].id)}`}><State state={mine[0].state} /></a> <Time iso={mine[0].logical_date} /></> : <span class="muted">never</span>}</td>
                <td>{runs.data ? mine.length : '…'}</td>
              </tr>
            )
          })}
        </tbody></table>
      )}</Load>
      <h2>All runs</h2>
      <Load loaded={runs}>{(d) => <RunsTable runs={d.runs} />}</Load>
    </Page>
  )
}

function RunsTable({ runs }: { runs: Run[] }) {
  return (
    <Paged rows={runs} text={(r) => `${r.id} ${r.pipeline} ${r.state} ${r.trigger}`}>{(page) => (
      <table class="runs"><thead><tr><th>Run</th><th>Pipeline</th><th>State</th><th>Trigger</th><th>Logical date</th><th>Duration</th></tr></thead><tbody>
        {page.map((r) => (
          <tr data-run={r.id}>
            <td><a href={`/runs/${enc(r.id)}`} class="mono">{r.id}</a></td><td><a href={`/pipelines/${enc(r.pipeline)}`}>{r.pipeline}</a></td>
            <td><State state={r.state} /></td><td>{r.trigger}</td><td><Time iso={r.logical_date} /></td><td>{duration(r.started_at, r.ended_at)}</td>
          </tr>
        ))}
      </tbody></table>
    )}</Paged>
  )
}

/** The task instances of runs (the runs list carries none), fetched again while any run is live. */
function useSummaries(runs: Run[] | undefined): Map<string, RunSummary> {
  const [summaries, setSummaries] = useState(new Map<string, RunSummary>())
  const key = runs?.map((r) => `${r.id}:${r.state}`).join(',')
  useEffect(() => {
    if (!runs) return
    let live = true
    void Promise.all(runs.map((r) => api<RunSummary>(`/api/v1/runs/${enc(r.id)}`))).then((all) => {
      if (live) setSummaries(new Map(all.map((s) => [s.run.id, s])))
    }, () => {})
    return () => { live = false }
  }, [key])
  return summaries
}

/** A pipeline: the grid (runs × tasks), the DAG with the last run's states, and the actions a write key may take. */
export function PipelinePage() {
  const { params } = useRoute()
  const name = params.name!
  const pipeline = useApi<Pipeline>(`/api/v1/pipelines/${enc(name)}`)
  const [poll, setPoll] = useState<number | undefined>(undefined)
  const runs = useApi<{ runs: Run[] }>(`/api/v1/runs?pipeline=${enc(name)}&limit=${GRID_RUNS}`, poll ?? 5000)
  const live = runs.data?.runs.some((r) => isActive(r.state)) ?? false
  useEffect(() => setPoll(live ? POLL_MS : undefined), [live])
  const summaries = useSummaries(runs.data?.runs)
  return (
    <Page title={<>pipeline {name}</>} sub={pipeline.data?.description}>
      <Load loaded={pipeline}>{(p) => (
        <>
          {canWrite(session.value) ? <Actions pipeline={p} onStarted={runs.reload} /> : null}
          <h2>Grid {live ? <span class="live">live</span> : null}</h2>
          <Load loaded={runs}>{(d) => <RunGrid pipeline={p} runs={d.runs} summaries={summaries} />}</Load>
          <h2>Graph</h2>
          <TaskGraph pipeline={p} summary={runs.data?.runs[0] ? summaries.get(runs.data.runs[0].id) : undefined} />
          <h2>Runs</h2>
          <Load loaded={runs}>{(d) => <RunsTable runs={d.runs} />}</Load>
          <h2>Definition</h2>
          <Json value={p} />
        </>
      )}</Load>
    </Page>
  )
}

/** Airflow's grid: a column per run (oldest left), a row per task, each cell the task instance's state. */
function RunGrid({ pipeline, runs, summaries }: { pipeline: Pipeline; runs: Run[]; summaries: Map<string, RunSummary> }) {
  const columns = [...runs].reverse()
  if (!columns.length) return <p class="muted">No runs yet.</p>
  return (
    <div class="grid-wrap">
      <table class="grid">
        <thead>
          <tr>
            <th>Task</th>
            {columns.map((r) => (
              <th><a href={`/runs/${enc(r.id)}`} class={`run-bar state-${r.state}`} data-run={r.id} data-state={r.state} title={`${r.id}: ${r.state}, ${new Date(r.logical_date).toLocaleString()}, ${duration(r.started_at, r.ended_at)}`}> </a></th>
            ))}
          </tr>
        </thead>
        <tbody>
          {pipeline.tasks.map((t) => (
            <tr>
              <th class="task">{t.id}</th>
              {columns.map((r) => {
                const ti = summaries.get(r.id)?.tasks.filter((x) => x.task_id === t.id) ?? []
                const state = ti.length ? worst(ti) : summaries.has(r.id) ? 'none' : 'unknown'
                const first = ti[0]
                return (
                  <td>
                    <a href={`/runs/${enc(r.id)}#${enc(t.id)}`} class={`cell state-${state}${first?.cached_from ? ' cached' : ''}`} data-task={t.id} data-run={r.id} data-state={state}
                      title={`${t.id} in ${r.id}: ${state}${first ? `, ${duration(first.started_at, first.ended_at)}${first.attempt > 1 ? `, try ${first.attempt}` : ''}${first.cached_from ? ', cache hit' : ''}` : ''}`}> </a>
                  </td>
                )
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p class="legend">{['success', 'running', 'queued', 'failed', 'upstream_failed', 'skipped'].map((s) => <span><i class={`cell state-${s}`} /> {s}</span>)}</p>
    </div>
  )
}

/** One state for a task's (mapped) instances: a failure shows, then anything still live. */
function worst(instances: TaskInstance[]): string {
  for (const s of ['failed', 'upstream_failed', 'running', 'up_for_retry', 'queued', 'scheduled']) if (instances.some((i) => i.state === s)) return s
  return instances[0]!.state
}

function TaskGraph({ pipeline, summary }: { pipeline: Pipeline; summary: RunSummary | undefined }) {
  const nodes = pipeline.tasks.map((t) => {
    const ti = summary?.tasks.filter((x) => x.task_id === t.id) ?? []
    return { id: t.id, kind: t.uses, label: t.id, detail: ti.length ? worst(ti) : undefined, state: ti.length ? worst(ti) : undefined, href: summary ? `/runs/${enc(summary.run.id)}#${enc(t.id)}` : undefined }
  })
  const edges = pipeline.tasks.flatMap((t) => t.depends_on.map((d): [string, string] => [d, t.id]))
  return <Graph nodes={nodes} edges={edges} label={`the tasks of ${pipeline.name}`} />
}

/** Trigger (with parameters), backfill a range: shown only to a key that may write. */
function Actions({ pipeline, onStarted }: { pipeline: Pipeline; onStarted: () => void }) {
  const { route } = useLocation()
  const [params, setParams] = useState(JSON.stringify(pipeline.params ?? {}, null, 2))
  const [logicalDate, setLogicalDate] = useState('')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [message, setMessage] = useState<{ error?: string; text?: string; run?: string }>({})
  const [busy, setBusy] = useState(false)
  const act = async (what: () => Promise<string | undefined>) => {
    setBusy(true)
    try {
      const run = await what()
      setMessage({ text: run ? 'started' : 'backfill queued', run })
      onStarted()
    } catch (e) {
      setMessage({ error: (e as Error).message })
    } finally {
      setBusy(false)
    }
  }
  const trigger = () => act(async () => {
    let parsed: unknown
    try { parsed = JSON.parse(params || '{}') } catch { throw new Error('parameters: not valid JSON') }
    const started = await api<RunSummary>(`/api/v1/pipelines/${enc(pipeline.name)}/runs`, {
      method: 'POST', body: { params: parsed, ...(logicalDate ? { logical_date: new Date(logicalDate).toISOString() } : {}) },
    })
    return started.run.id
  })
  const backfill = () => act(async () => {
    await api(`/api/v1/pipelines/${enc(pipeline.name)}/backfill`, { method: 'POST', body: { from: new Date(from).toISOString(), to: new Date(to).toISOString() } })
    return undefined
  })
  return (
    <details class="actions" open>
      <summary>Run this pipeline</summary>
      <div class="forms">
        <form onSubmit={(e) => { e.preventDefault(); void trigger() }}>
          <label>Parameters (JSON)<textarea name="params" rows={5} value={params} onInput={(e) => setParams((e.target as HTMLTextAreaElement).value)} /></label>
          <label>Logical date (optional)<input type="datetime-local" value={logicalDate} onInput={(e) => setLogicalDate((e.target as HTMLInputElement).value)} /></label>
          <button type="submit" class="primary" disabled={busy}>Trigger run</button>
        </form>
        {pipeline.schedule ? (
          <form onSubmit={(e) => { e.preventDefault(); void backfill() }}>
            <label>Backfill from<input type="datetime-local" required value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} /></label>
            <label>to<input type="datetime-local" required value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} /></label>
            <button type="submit" disabled={busy}>Backfill</button>
          </form>
        ) : null}
      </div>
      {message.error ? <p class="error" role="alert">{message.error}</p> : null}
      {message.text ? <p role="status">{message.run ? <>Run <a href={`/runs/${enc(message.run)}`} onClick={(e) => { e.preventDefault(); route(`/runs/${enc(message.run!)}`) }}>{message.run}</a> {message.text}.</> : message.text}</p> : null}
    </details>
  )
}

/** A run: its task instances with tries, durations, cache hits and outputs; polled while it runs. */
export function RunPage() {
  const { params } = useRoute()
  const id = params.id!
  const [poll, setPoll] = useState<number | undefined>(POLL_MS)
  const run = useApi<RunSummary & { run: Run & { worker_lost?: boolean } }>(`/api/v1/runs/${enc(id)}`, poll)
  const state = run.data?.run.state
  useEffect(() => { if (state) setPoll(isActive(state) ? POLL_MS : undefined) }, [state])
  const [message, setMessage] = useState<string>()
  const resume = async () => {
    try {
      await api(`/api/v1/runs/${enc(id)}/resume`, { method: 'POST', body: {} })
      setPoll(POLL_MS)
      run.reload()
    } catch (e) {
      setMessage((e as Error).message)
    }
  }
  return (
    <Load loaded={run}>{({ run: r, tasks }) => (
      <Page title={<>run <span class="mono">{r.id}</span> <State state={r.state} /></>} sub={<>pipeline <a href={`/pipelines/${enc(r.pipeline)}`}>{r.pipeline}</a>, {r.trigger}, logical date <Time iso={r.logical_date} /></>}>
        <dl class="facts">
          <dt>Started</dt><dd><Time iso={r.started_at} /></dd>
          <dt>Ended</dt><dd><Time iso={r.ended_at} /></dd>
          <dt>Duration</dt><dd>{duration(r.started_at, r.ended_at)}</dd>
          <dt>Parameters</dt><dd class="mono">{short(r.params ?? {}, 500)}</dd>
          {r.note ? <><dt>Note</dt><dd>{r.note}</dd></> : null}
        </dl>
        {canWrite(session.value) && (r.state === 'failed' || r.worker_lost) ? <p><button onClick={() => void resume()}>Resume</button> {message ? <span class="error">{message}</span> : null}</p> : null}
        <h2>Task instances</h2>
        <table class="tasks"><thead><tr><th>Task</th><th>State</th><th>Try</th><th>Started</th><th>Duration</th><th>Cache</th><th>Output</th></tr></thead><tbody>
          {[...tasks].sort((a, b) => (a.started_at ?? '~').localeCompare(b.started_at ?? '~')).map((t) => (
            <tr id={t.task_id} data-task={t.task_id} data-state={t.state}>
              <td>{t.task_id}{t.map_index >= 0 ? `[${t.map_index}]` : ''}</td>
              <td><State state={t.state} /></td>
              <td>{t.attempt}</td>
              <td><Time iso={t.started_at} /></td>
              <td>{duration(t.started_at, t.ended_at)}</td>
              <td>{t.cached_from ? <a href={`/runs/${enc(t.cached_from.split(':')[0]!)}`} title={t.cached_from}>hit</a> : ''}</td>
              <td>
                {t.error ? <pre class="error">{t.error}</pre> : null}
                {t.output ? <details><summary class="mono">{short(t.output, 90)}</summary><Json value={parse(t.output)} /></details> : null}
              </td>
            </tr>
          ))}
        </tbody></table>
      </Page>
    )}</Load>
  )
}

function parse(text: string): unknown {
  try { return JSON.parse(text) } catch { return text }
}
