/**
 * `npm run bench:materialize` — materialization against a bulk load of the same rows, in the
 * same run (issue 18). Two shapes: bench:online's 100k entities × 5 views × 10 features, and
 * 1M entities × 1 view × 10 features, from one Parquet file (`feature-repo.ts`) holding one row
 * per entity at each of two event timestamps:
 * - whole window: `materialize START END` over the first timestamp only, into an empty store;
 * - incremental: `materialize-incremental` from that run's watermark, which takes the second
 *   timestamp's rows, each replacing the entity's stored (older) value.
 * Each phase writes entities × views rows. The baselines load the same rows, alternating with
 * asof, run by run: embedded mode against DuckDB `CREATE TABLE AS SELECT … FROM read_parquet(…)`
 * of the same window into a fresh DuckDB file, one table per view; server mode against
 * PostgreSQL `COPY … FROM STDIN` of the same rows (prepared as CSV beforehand, not timed) into
 * fresh UNLOGGED tables, one per view. asof runs in a process of its own per run (in process, as
 * `openAsof` does; start-up not timed), which reports its peak RSS; a run of `--rss` entities
 * (1 view) shows whether that peak grows with the window.
 *
 *   npm run bench:materialize -- [--runs 3] [--shapes 100000x5,1000000x1] [--modes embedded,postgres] [--rss 10000000]
 *
 * Server mode needs ASOF_BENCH_PG_URL or ASOF_TEST_PG_URL (a fresh database per run, dropped
 * after); without one it is skipped with a printed reason. Target: ≥ 0.7× the bulk load's rows/s.
 */
import { spawnSync } from 'node:child_process'
import { createReadStream, rmSync } from 'node:fs'
import { join } from 'node:path'
import { cpus, loadavg } from 'node:os'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { tempDir } from '../test/helpers/engines.js'
import { DuckDbEngine, sql } from '../src/engines/index.js'
import { featureName, writeFeatureRepo } from './feature-repo.js'
import { freshDatabase } from './fresh-database.js'

const FEATURES = 10
const T1 = '2026-01-01T00:00:00Z'
const T2 = '2026-01-02T00:00:00Z'
const WINDOW = { start: '2025-01-01T00:00:00Z', end: '2026-01-01T12:00:00Z' }
const INCREMENTAL_END = '2026-06-01T00:00:00Z'
/** A run that takes longer than this is killed and the bench fails (no run may hang). */
const CHILD_DEADLINE_MS = 30 * 60_000

interface AsofRun { whole: number; incremental: number; rowsWhole: number; rowsIncremental: number; maxRssMb: number }
interface BaselineRun { whole: number; incremental: number }

// ---------------------------------------------------------------- the asof side, in a process of its own

async function child(): Promise<void> {
  const { repo, views } = JSON.parse(process.argv[process.argv.indexOf('--child') + 1]!) as { repo: string; views: number }
  const { openAsof } = await import('../src/client/index.js')
  const asof = await openAsof({ repo })
  try {
    await asof.registry.apply({})
    const t0 = performance.now()
    const whole = await asof.online.materialize({ start: WINDOW.start, end: WINDOW.end })
    const t1 = performance.now()
    const incremental = await asof.online.materializeIncremental({ end: INCREMENTAL_END })
    const t2 = performance.now()
    const rows = (r: typeof whole) => r.views.reduce((n, v) => n + v.rows_written, 0)
    if (whole.views.length !== views) throw new Error(`expected ${views} views materialized, got ${whole.views.length}`)
    const result: AsofRun = {
      whole: (t1 - t0) / 1000, incremental: (t2 - t1) / 1000, rowsWhole: rows(whole), rowsIncremental: rows(incremental),
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } finally {
    await asof.close()
  }
}

function runAsof(repo: string, views: number, databaseUrl?: string): AsofRun {
  const home = tempDir('asof-bench-mat-home-')
  try {
    const env = { ...process.env, ASOF_LOG_LEVEL: 'warn', ASOF_HOME: home.dir, ASOF_DATABASE_URL: databaseUrl ?? '' }
    const run = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', JSON.stringify({ repo, views })], {
      env, encoding: 'utf8', timeout: CHILD_DEADLINE_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024,
    })
    if (run.status !== 0) throw new Error(`asof run exited with ${run.status ?? run.signal}: ${run.stderr.slice(-2000)}`)
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as AsofRun
  } finally {
    home.remove()
  }
}

// ---------------------------------------------------------------- the baselines

const columnsOf = (v: number) => ['driver_id', 'event_timestamp', ...Array.from({ length: FEATURES }, (_, f) => featureName(v, f))]

/** DuckDB: CREATE TABLE AS from the same Parquet, the same window, one table per view, in a fresh file. */
async function duckdbBaseline(parquet: string, views: number, dir: string): Promise<BaselineRun> {
  const path = join(dir, `baseline-${randomBytes(4).toString('hex')}.duckdb`)
  const engine = await DuckDbEngine.open({ path })
  try {
    const load = async (phase: string, from: string, to: string) => {
      const t0 = performance.now()
      for (let v = 0; v < views; v++) {
        await engine.execute(sql`create table ${sql.id(`${phase}_${v}`)} as select ${sql.join(columnsOf(v).map((c) => sql.id(c)))}
          from read_parquet(${parquet}) where event_timestamp >= cast(${from} as timestamptz) and event_timestamp <= cast(${to} as timestamptz)`)
      }
      return (performance.now() - t0) / 1000
    }
    const whole = await load('whole', WINDOW.start, WINDOW.end)
    const incremental = await load('incremental', WINDOW.end, INCREMENTAL_END)
    return { whole, incremental }
  } finally {
    await engine.close()
    rmSync(path, { force: true })
    rmSync(`${path}.wal`, { force: true })
  }
}

/** The rows each phase writes, per view, as CSV for PostgreSQL's COPY (written once, not timed). */
async function baselineCsvs(parquet: string, views: number, dir: string): Promise<{ whole: string[]; incremental: string[] }> {
  const engine = await DuckDbEngine.open({ path: ':memory:' })
  try {
    const write = async (phase: string, ts: string) => Promise.all(Array.from({ length: views }, async (_, v) => {
      const file = join(dir, `${phase}_${v}.csv`)
      await engine.execute(sql`copy (select ${sql.join(columnsOf(v).map((c) => sql.id(c)))} from read_parquet(${parquet})
        where event_timestamp = cast(${ts} as timestamptz)) to ${file} (format csv, header true)`)
      return file
    }))
    return { whole: await write('whole', T1), incremental: await write('incremental', T2) }
  } finally {
    await engine.close()
  }
}

/** PostgreSQL: COPY … FROM STDIN of the same rows into fresh UNLOGGED tables, one per view. */
async function postgresBaseline(url: string, csvs: { whole: string[]; incremental: string[] }): Promise<BaselineRun> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const load = async (phase: 'whole' | 'incremental') => {
      const tables = csvs[phase].map((_, v) => `${phase}_${v}`)
      for (const [v, t] of tables.entries()) {
        const defs = ['driver_id bigint', 'event_timestamp timestamptz', ...Array.from({ length: FEATURES }, (_, f) => `${featureName(v, f)} double precision`)]
        await client.query(`create unlogged table ${t} (${defs.join(', ')})`)
      }
      const t0 = performance.now()
      for (const [v, file] of csvs[phase].entries()) {
        await pipeline(createReadStream(file), client.query(copyFrom(`copy ${tables[v]} from stdin (format csv, header true)`)))
      }
      return (performance.now() - t0) / 1000
    }
    return { whole: await load('whole'), incremental: await load('incremental') }
  } finally {
    await client.end()
  }
}


// ---------------------------------------------------------------- reporting

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const fmtRate = (rows: number, seconds: number) => `${Math.round(rows / seconds).toLocaleString('en-US')} rows/s`
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ')

async function measureShape(entities: number, views: number, modes: readonly string[], runs: number, pgUrl: string | undefined): Promise<void> {
  const repo = tempDir('asof-bench-mat-')
  try {
    const parquet = await writeFeatureRepo(repo.dir, { entities, views, featuresPerView: FEATURES, timestamps: [T1, T2], format: 'parquet', project: 'materialize_bench' })
    const rows = entities * views
    for (const mode of modes) {
      if (mode === 'postgres' && !pgUrl) {
        console.log(`\n${entities} entities × ${views} views, postgres mode skipped: set ASOF_BENCH_PG_URL (or ASOF_TEST_PG_URL)`)
        continue
      }
      const csvs = mode === 'postgres' ? await baselineCsvs(parquet, views, repo.dir) : undefined
      console.log(`\n${entities} entities × ${views} views × ${FEATURES} features, ${mode} mode: ${rows.toLocaleString('en-US')} rows a phase; load before ${load()} (${cpus().length} CPUs)`)
      console.log('run  phase        asof s   baseline s  asof rows/s          baseline rows/s      ratio  asof peak RSS')
      const asofRuns: AsofRun[] = []
      const baseRuns: BaselineRun[] = []
      for (let r = 0; r < runs; r++) {
        // Alternating, and the order flipped every other run, so the machine's load falls on both sides alike.
        const asofFirst = r % 2 === 0
        const runOne = async () => {
          const db = mode === 'postgres' ? await freshDatabase(pgUrl!, 'asof_bench_mat') : undefined
          try { asofRuns.push(runAsof(repo.dir, views, db?.url)) } finally { await db?.drop() }
        }
        const baseOne = async () => {
          if (mode === 'embedded') { baseRuns.push(await duckdbBaseline(parquet, views, repo.dir)); return }
          const db = await freshDatabase(pgUrl!, 'asof_bench_mat')
          try { baseRuns.push(await postgresBaseline(db.url, csvs!)) } finally { await db.drop() }
        }
        if (asofFirst) { await runOne(); await baseOne() } else { await baseOne(); await runOne() }
        const a = asofRuns.at(-1)!
        const b = baseRuns.at(-1)!
        if (a.rowsWhole !== rows) throw new Error(`whole window wrote ${a.rowsWhole} rows, expected ${rows}`)
        if (a.rowsIncremental !== rows) throw new Error(`incremental run wrote ${a.rowsIncremental} rows, expected ${rows}`)
        for (const phase of ['whole', 'incremental'] as const) {
          console.log([
            String(r + 1).padStart(3), phase.padEnd(11), a[phase].toFixed(2).padStart(7), b[phase].toFixed(2).padStart(11),
            fmtRate(rows, a[phase]).padStart(20), fmtRate(rows, b[phase]).padStart(20), `${(b[phase] / a[phase]).toFixed(2)}×`.padStart(6),
            `${a.maxRssMb.toFixed(0)} MB`.padStart(13),
          ].join('  '))
        }
      }
      for (const phase of ['whole', 'incremental'] as const) {
        const a = median(asofRuns.map((x) => x[phase]))
        const b = median(baseRuns.map((x) => x[phase]))
        console.log(`median ${phase}: asof ${a.toFixed(2)} s (${fmtRate(rows, a)}), ${mode === 'postgres' ? 'PostgreSQL COPY' : 'DuckDB CREATE TABLE AS'} ${b.toFixed(2)} s (${fmtRate(rows, b)}): ratio ${(b / a).toFixed(2)}× (target ≥ 0.7×)`)
      }
      console.log(`load after ${load()}; asof peak RSS median ${median(asofRuns.map((x) => x.maxRssMb)).toFixed(0)} MB`)
    }
  } finally {
    repo.remove()
  }
}

/** One run of `entities` × 1 view per mode, for asof's peak RSS only (the window is not held in JS, so it should not grow). */
async function measureRss(entities: number, modes: readonly string[], pgUrl: string | undefined): Promise<void> {
  const repo = tempDir('asof-bench-mat-rss-')
  try {
    await writeFeatureRepo(repo.dir, { entities, views: 1, featuresPerView: FEATURES, timestamps: [T1, T2], format: 'parquet', project: 'materialize_bench' })
    for (const mode of modes) {
      if (mode === 'postgres' && !pgUrl) continue
      const db = mode === 'postgres' ? await freshDatabase(pgUrl!, 'asof_bench_mat') : undefined
      try {
        const a = runAsof(repo.dir, 1, db?.url)
        console.log(`\n${entities} entities × 1 view, ${mode}: whole ${a.whole.toFixed(2)} s (${fmtRate(entities, a.whole)}), incremental ${a.incremental.toFixed(2)} s (${fmtRate(entities, a.incremental)}), peak RSS ${a.maxRssMb.toFixed(0)} MB (load ${load()})`)
      } finally {
        await db?.drop()
      }
    }
  } finally {
    repo.remove()
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) return child()
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      shapes: { type: 'string', default: '100000x5,1000000x1' },
      modes: { type: 'string', default: 'embedded,postgres' },
      rss: { type: 'string' },
    },
  })
  const pgUrl = process.env.ASOF_BENCH_PG_URL ?? process.env.ASOF_TEST_PG_URL
  const modes = values.modes!.split(',')
  console.log(`bench:materialize ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`)
  for (const shape of values.shapes!.split(',')) {
    const [entities, views] = shape.split('x').map(Number) as [number, number]
    await measureShape(entities, views, modes, Number(values.runs), pgUrl)
  }
  if (values.rss) for (const n of values.rss.split(',')) await measureRss(Number(n), modes, pgUrl)
}

await main()
