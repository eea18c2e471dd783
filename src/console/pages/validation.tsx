import { useMemo } from 'preact/hooks'
import { useLocation, useRoute } from 'preact-iso'
import { enc, useApi, type Checkpoint, type ExpectationResult, type StoredResult } from '../api.js'
import { Chart, type ChartSeries } from '../chart.js'
import { Diff } from '../diff.js'
import { Json, Load, Outcome, Page, Paged, short, Time } from '../ui.js'

/** Checkpoints with their last result, every stored result, and the suites. */
export function Validation() {
  const checkpoints = useApi<{ checkpoints: Checkpoint[] }>('/api/v1/checkpoints')
  const results = useApi<{ results: StoredResult[] }>('/api/v1/results?limit=1000')
  const suites = useApi<{ suites: { name: string; current_version: number; updated_at: string }[] }>('/api/v1/suites')
  return (
    <Page title="Validation">
      <h2>Checkpoints</h2>
      <Load loaded={checkpoints}>{(d) => (
        <table><thead><tr><th>Checkpoint</th><th>Description</th><th>Last result</th><th>Runs stored</th></tr></thead><tbody>
          {d.checkpoints.map((c) => {
            const mine = results.data?.results.filter((r) => r.checkpoint === c.name) ?? []
            const last = mine[0]
            return (
              <tr data-checkpoint={c.name}>
                <td><a href={`/validation/checkpoints/${enc(c.name)}`}>{c.name}</a></td><td>{c.description}</td>
                <td>{last ? <><a href={`/validation/results/${enc(last.id)}`}><Outcome success={last.success} /></a> <Time iso={last.run_time} /></> : <span class="muted">—</span>}</td>
                <td>{results.data ? mine.length : '…'}</td>
              </tr>
            )
          })}
        </tbody></table>
      )}</Load>
      <h2>Results</h2>
      <Load loaded={results}>{(d) => <ResultsTable results={d.results} />}</Load>
      <h2>Suites</h2>
      <Load loaded={suites}>{(d) => (
        <table><thead><tr><th>Suite</th><th>Current version</th><th>Updated</th></tr></thead><tbody>
          {d.suites.map((s) => <tr><td><a href={`/validation/suites/${enc(s.name)}`}>{s.name}</a></td><td>v{s.current_version}</td><td><Time iso={s.updated_at} /></td></tr>)}
        </tbody></table>
      )}</Load>
    </Page>
  )
}

function ResultsTable({ results }: { results: StoredResult[] }) {
  return (
    <Paged rows={results} text={(r) => `${r.checkpoint ?? ''} ${r.suite_name} ${r.batch} ${r.success ? 'passed' : 'failed'}`}>{(page) => (
      <table class="results"><thead><tr><th>Run time</th><th>Checkpoint</th><th>Suite</th><th>Batch</th><th>Outcome</th><th>Expectations</th></tr></thead><tbody>
        {page.map((r) => {
          const passed = r.result.results.filter((e) => e.success).length
          return (
            <tr>
              <td><a href={`/validation/results/${enc(r.id)}`}><Time iso={r.run_time} /></a></td>
              <td>{r.checkpoint ? <a href={`/validation/checkpoints/${enc(r.checkpoint)}`}>{r.checkpoint}</a> : '—'}</td>
              <td>{r.suite_name}{r.suite_version ? `@${r.suite_version}` : ''}</td>
              <td class="mono" title={r.batch}>{short(r.batch, 48)}</td>
              <td><Outcome success={r.success} /></td>
              <td>{passed}/{r.result.results.length}</td>
            </tr>
          )
        })}
      </tbody></table>
    )}</Paged>
  )
}

const COLORS = ['#2563eb', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d']

/** An expectation's identity across runs: its type and column (and its other arguments). */
function expectationKey(e: ExpectationResult): string {
  const { type, kwargs } = e.expectation_config
  const column = kwargs.column ?? kwargs.column_list
  return column === undefined ? type : `${type}(${short(column, 40)})`
}

interface MetricChart { key: string; x: number[]; series: ChartSeries[] }

/**
 * The charts of a checkpoint's runs, oldest first: success (1 passed, 0 failed), then each
 * expectation whose observed value is a number (row counts, means…) with its bounds as dashed lines.
 */
export function checkpointCharts(results: StoredResult[]): { x: number[]; success: ChartSeries; metrics: MetricChart[] } {
  const runs = [...results].sort((a, b) => a.run_time.localeCompare(b.run_time))
  const x = runs.map((r) => new Date(r.run_time).getTime() / 1000)
  const success: ChartSeries = { label: 'success', values: runs.map((r) => (r.success ? 1 : 0)), color: '#16a34a', style: 'points' }
  const keys = new Map<string, number>()
  for (const r of runs) {
    for (const e of r.result.results) if (typeof e.result?.observed_value === 'number' && !keys.has(expectationKey(e))) keys.set(expectationKey(e), keys.size)
  }
  const metrics = [...keys.keys()].map((key, i): MetricChart => {
    const find = (r: StoredResult) => r.result.results.find((e) => expectationKey(e) === key)
    const bound = (name: 'min_value' | 'max_value') => runs.map((r) => {
      const v = find(r)?.expectation_config.kwargs[name]
      return typeof v === 'number' ? v : null
    })
    const series: ChartSeries[] = [{ label: 'observed', values: runs.map((r) => { const v = find(r)?.result.observed_value; return typeof v === 'number' ? v : null }), color: COLORS[i % COLORS.length]!, style: 'line' }]
    const min = bound('min_value')
    const max = bound('max_value')
    if (min.some((v) => v !== null)) series.push({ label: 'min', values: min, color: '#9ca3af', style: 'dashed' })
    if (max.some((v) => v !== null)) series.push({ label: 'max', values: max, color: '#9ca3af', style: 'dashed' })
    return { key, x, series }
  })
  return { x, success, metrics }
}

/** A checkpoint's runs over time: charts of success and of every numeric observed value, and the runs. */
export function CheckpointPage() {
  const { params, query } = useRoute()
  const name = params.name!
  const limit = Math.min(1000, Number(query.limit) || 200)
  const checkpoint = useApi<{ checkpoint: Checkpoint }>(`/api/v1/checkpoints/${enc(name)}`)
  const results = useApi<{ results: StoredResult[] }>(`/api/v1/results?checkpoint=${enc(name)}&limit=${limit}`)
  const charts = useMemo(() => (results.data ? checkpointCharts(results.data.results) : undefined), [results.data])
  return (
    <Page title={<>checkpoint {name}</>} sub={checkpoint.data?.checkpoint.description}>
      <Load loaded={results}>{(d) => (
        <>
          <p class="muted">The last {d.results.length} runs{d.results.length >= limit ? <> (<a href={`?limit=${Math.min(1000, limit * 5)}`}>more</a>)</> : null}.</p>
          {charts && charts.x.length ? (
            <div class="charts">
              <Chart title="success (1 passed, 0 failed)" x={charts.x} series={[charts.success]} height={160} />
              {charts.metrics.map((m) => <Chart title={m.key} x={m.x} series={m.series} />)}
            </div>
          ) : <p class="muted">No run stored yet.</p>}
          <h2>Runs</h2>
          <ResultsTable results={d.results} />
        </>
      )}</Load>
      <Load loaded={checkpoint}>{(d) => <><h2>Definition</h2><Json value={d.checkpoint} /></>}</Load>
    </Page>
  )
}

/** One result: the data docs, live: each expectation's outcome, observed value and failing samples. */
export function ResultPage() {
  const { params } = useRoute()
  const result = useApi<StoredResult>(`/api/v1/results/${enc(params.id!)}`)
  return (
    <Load loaded={result}>{(r) => {
      const failed = r.result.results.filter((e) => !e.success)
      return (
        <Page title={<>result <Outcome success={r.success} /></>} sub={<>{r.checkpoint ? <>checkpoint <a href={`/validation/checkpoints/${enc(r.checkpoint)}`}>{r.checkpoint}</a>, </> : null}suite <a href={`/validation/suites/${enc(r.suite_name)}`}>{r.suite_name}</a>{r.suite_version ? `@${r.suite_version}` : ''}, <Time iso={r.run_time} /></>}>
          <dl class="facts">
            <dt>Result id</dt><dd class="mono">{r.id}</dd>
            <dt>Batch</dt><dd class="mono">{r.batch}</dd>
            <dt>Expectations</dt><dd>{r.result.results.length - failed.length} passed, {failed.length} failed</dd>
          </dl>
          {failed.length ? <p class="error failing">Failing: {failed.map((e) => <span class="tag">{expectationKey(e)}</span>)}</p> : null}
          <table class="expectations"><thead><tr><th>Expectation</th><th>Arguments</th><th>Outcome</th><th>Observed</th><th>Unexpected</th></tr></thead><tbody>
            {r.result.results.map((e) => {
              const res = e.result ?? {}
              const samples = res.partial_unexpected_list ?? []
              const query = res.unexpected_rows_query ?? e.expectation_config.kwargs.unexpected_rows_query
              return (
                <tr class={e.success ? '' : 'failed-row'} data-expectation={e.expectation_config.type}>
                  <td>{e.expectation_config.type}{e.expectation_config.severity && e.expectation_config.severity !== 'critical' ? <span class="muted"> ({e.expectation_config.severity})</span> : null}</td>
                  <td class="mono">{short(e.expectation_config.kwargs, 120)}</td>
                  <td><Outcome success={e.success} />{e.exception_info?.raised_exception ? <div class="error">{e.exception_info.exception_message}</div> : null}</td>
                  <td class="mono">{res.observed_value === undefined ? '' : short(res.observed_value, 60)}</td>
                  <td>
                    {res.unexpected_count ? <>{res.unexpected_count} rows{typeof res.unexpected_percent === 'number' ? ` (${(res.unexpected_percent as number).toFixed(2)} %)` : ''}</> : null}
                    {samples.length ? <div class="mono">e.g. {short(samples.slice(0, 10), 100)}</div> : null}
                    {typeof query === 'string' ? <details><summary>query for the failing rows</summary><pre>{query}</pre></details> : null}
                  </td>
                </tr>
              )
            })}
          </tbody></table>
          {r.result.statistics ? <><h2>Statistics</h2><Json value={r.result.statistics} /></> : null}
        </Page>
      )
    }}</Load>
  )
}

/** A suite's versions, the chosen one's expectations, and a diff between two versions. */
export function SuitePage() {
  const { params, query } = useRoute()
  const { route, path } = useLocation()
  const versions = useApi<{ versions: { name: string; version: number; created_at: string; suite: unknown }[] }>(`/api/v1/suites/${enc(params.name!)}/versions`)
  return (
    <Page title={<>suite {params.name}</>}>
      <Load loaded={versions}>{(d) => {
        const all = [...d.versions].sort((a, b) => a.version - b.version)
        const latest = all[all.length - 1]!
        const a = Number(query.a ?? (all.length > 1 ? all[all.length - 2]!.version : latest.version))
        const b = Number(query.b ?? latest.version)
        const pick = (k: string, v: string) => route(`${path}?${new URLSearchParams({ ...query, [k]: v })}`, true)
        return (
          <>
            <table><thead><tr><th>Version</th><th>Created</th></tr></thead><tbody>
              {[...all].reverse().map((v) => <tr><td>v{v.version}</td><td><Time iso={v.created_at} /></td></tr>)}
            </tbody></table>
            <h2>Diff between versions</h2>
            <p>
              <select aria-label="From version" value={a} onChange={(e) => pick('a', (e.target as HTMLSelectElement).value)}>{all.map((v) => <option value={v.version}>v{v.version}</option>)}</select>
              {' → '}
              <select aria-label="To version" value={b} onChange={(e) => pick('b', (e.target as HTMLSelectElement).value)}>{all.map((v) => <option value={v.version}>v{v.version}</option>)}</select>
            </p>
            <Diff before={all.find((v) => v.version === a)?.suite} after={all.find((v) => v.version === b)?.suite} beforeLabel={`v${a}`} afterLabel={`v${b}`} />
            <h2>Current version</h2>
            <Json value={latest.suite} />
          </>
        )
      }}</Load>
    </Page>
  )
}
