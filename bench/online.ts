/**
 * `npm run bench:online` — online serving, in the shape of Feast's published serving benchmark:
 * 50 features across 5 feature views, N entities materialized (100k by default),
 * `POST /get-online-features` with 1, 10, 50 and 100 entities per request. Load comes from a
 * separate process on loopback, in two phases:
 * - a fixed 1,000 req/s, open loop: request i is sent at start + i ms whether or not earlier
 *   answers came back, over as many keep-alive connections as that needs; latency runs from the
 *   request's SCHEDULED time to the last byte of its answer, so a stall is charged to every
 *   request it delayed (no coordinated omission). The generator's own lag (send time minus
 *   scheduled time) is printed beside it. The generator is `paced-load.c`, built with the
 *   system's C compiler, or where there is none `runPaced` over node:http (itself 1.4–3.8 ms
 *   late at p99 on two shared cores). (autocannon's `overallRate` is not a fixed rate: each
 *   connection sends back to back until its share of the second is spent, then idles, so its
 *   "1,000 req/s" was bursts from 8 closed-loop connections.)
 * - as fast as the server answers: autocannon, closed loop, 32 connections (max req/s).
 * asof is measured as users run it: the repo is applied and materialized with the `asof`
 * command, and `asof serve` answers in a process of its own. The baseline, in the same run: a
 * bare fastify route in a process of its own (`bare-server.mjs`) that parses the same body and
 * returns a prebuilt response of the same size, under the same fixed-rate generator (its p99 is
 * what the machine adds by itself) and as fast as it answers, in slices that alternate with
 * asof's own maximum-rate slices. CPU/req is the loaded server process's CPU time (from /proc)
 * per answered request during the maximum-rate slices: what a request costs the server itself,
 * less moved by other work on the machine than the rates, though not unmoved (in PostgreSQL
 * mode the database's own work is in its processes, not in it). The load average is printed
 * with each mode's table: the machine is shared and the load generator shares its cores.
 *
 *   npm run bench:online -- [--entities 100000] [--seconds 4] [--modes embedded,postgres] [--batches 1,10,50,100]
 *
 * PostgreSQL mode needs ASOF_BENCH_PG_URL (or ASOF_TEST_PG_URL); a fresh database is created
 * and dropped. Targets (issue 4): p99 ≤ 2 ms (1 entity), ≤ 10 ms (100 entities) at 1,000 req/s;
 * max ≥ 60 % of the bare route's.
 */
import { fork, spawn, spawnSync } from 'node:child_process'
import http from 'node:http'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cpus, loadavg } from 'node:os'
import { once } from 'node:events'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { tempDir } from '../test/helpers/engines.js'
import { startServe } from '../test/helpers/serve.js'
import { featureRefs as sharedFeatureRefs, writeFeatureRepo } from './feature-repo.js'
import { freshDatabase } from './fresh-database.js'

const VIEWS = 5
const FEATURES_PER_VIEW = 10
const FIXED_RATE = 1000
/** Maximum-rate runs alternate between asof and the bare route in this many slices. */
const MAX_ROUNDS = 3
/** Seconds of load on each server, after every body was asked once, before anything is measured: as fast as it answers, then at the fixed rate. */
const WARM_SECONDS = 4
const WARM_FIXED_SECONDS = 8

/** What the load process is told to do; it answers with a LoadResult on stdout. */
interface LoadJob {
  url: string
  headers: Record<string, string>
  /** Request bodies to cycle through (random entities, so the cache sees realistic keys). */
  bodies: string[]
  /** Requests per second sent open-loop (`paced`), or 0 for autocannon's closed loop as fast as the server answers. */
  rate: number
  seconds: number
  /** Closed loop only: autocannon's connections. The paced generator opens as many as it needs. */
  connections?: number
  /** Closed loop only: stop after this many requests instead of after `seconds`. */
  amount?: number
}

interface LoadResult {
  requests: number
  non2xx: number
  errors: number
  rps: number
  /** How long the load ran. */
  seconds: number
  /** Paced: from each request's scheduled send time to the end of its response. */
  p50: number
  p99: number
  /** Paced only: most sockets open at once, and the p99 of send time minus scheduled time (the generator's own lag). */
  sockets?: number
  sendLagP99?: number
  /** Filled in by the bench process: its own CPU time (µs) per answered request while the job ran. */
  cpuPerRequest?: number
}

const percentile = (sorted: readonly number[], p: number) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN

// ---------------------------------------------------------------- load process: fixed rate, open loop

/**
 * A real fixed rate: request i is due at start + i/rate, whatever happened to earlier ones.
 * A timer wakes at the next due time and sends every request that is due (node's timers have
 * millisecond granularity, so at 1,000 req/s a wake sends one or two). Requests go out over a
 * keep-alive agent with no socket limit: when every open socket awaits an answer, the next
 * request opens another, so a slow answer never delays a send. Latency is measured from the
 * scheduled time to the last byte of the answer, so a stall of the server (or of this process)
 * counts against every request it delayed instead of only against the one it held
 * (no coordinated omission).
 */
async function runPaced(job: LoadJob): Promise<LoadResult> {
  const target = new URL(job.url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity })
  const bodies = job.bodies.map((b) => Buffer.from(b))
  /** Calls `onDone` once: with the status after the last byte, or with -1 when the request or its answer failed. */
  const send = (body: Buffer, onDone: (status: number) => void) => {
    let done = false
    const finish = (status: number) => {
      if (!done) onDone(status)
      done = true
    }
    const request = http.request({
      agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length, ...job.headers },
    }, (response) => {
      response.on('data', () => {})
      response.on('end', () => finish(response.statusCode ?? 0))
      response.on('close', () => finish(-1)) // closed before its end
    })
    request.on('error', () => finish(-1))
    request.on('socket', (socket) => socket.setNoDelay(true)) // no Nagle delay behind a pipelined send
    request.end(body)
  }
  // Open a few connections before the clock starts, as autocannon does; the first half second
  // is paced but not recorded (this process's JIT warms up).
  await Promise.all(bodies.slice(0, 8).map((b) => new Promise<void>((resolve) => send(b, () => resolve()))))
  const warm = Math.round(job.rate / 2)
  const total = warm + Math.round(job.rate * job.seconds)
  const interval = 1000 / job.rate
  const latencies: number[] = []
  const lags: number[] = []
  let non2xx = 0
  let errors = 0
  let sockets = 0
  let sent = 0
  let answered = 0
  const start = performance.now()
  await new Promise<void>((resolve) => {
    const tick = () => {
      for (let due = start + sent * interval; sent < total && due <= performance.now(); due = start + sent * interval) {
        const scheduled = due
        const recorded = sent >= warm
        if (recorded) lags.push(performance.now() - scheduled)
        send(bodies[sent % bodies.length]!, (status) => {
          if (status >= 200 && status < 300) { if (recorded) latencies.push(performance.now() - scheduled) }
          else if (status < 0) errors++
          else non2xx++
          if (++answered === total) resolve()
        })
        sent++
        sockets = Math.max(sockets, Object.values(agent.sockets).reduce((n, s) => n + (s?.length ?? 0), 0))
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()))
    }
    tick()
  })
  agent.destroy()
  latencies.sort((a, b) => a - b)
  lags.sort((a, b) => a - b)
  return {
    requests: total - warm, non2xx, errors, rps: (total - warm) / job.seconds, seconds: job.seconds,
    p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), sockets, sendLagP99: percentile(lags, 0.99),
  }
}

// ---------------------------------------------------------------- load process: maximum rate, closed loop (autocannon)

async function runClosedLoop(job: LoadJob): Promise<LoadResult> {
  const latencies: number[] = []
  let i = 0
  let finish: (r: autocannon.Result) => void = () => {}
  let fail: (e: unknown) => void = () => {}
  const done = new Promise<autocannon.Result>((resolve, reject) => { finish = resolve; fail = reject })
  const instance = autocannon({
    url: job.url,
    connections: job.connections,
    ...(job.amount ? { amount: job.amount } : { duration: job.seconds }),
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json', ...job.headers },
      setupRequest: (request) => {
        request.body = job.bodies[i++ % job.bodies.length]
        return request
      },
    }],
  }, (err, result) => (err ? fail(err) : finish(result)))
  // autocannon's own histogram rounds to whole milliseconds.
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms)
  })
  const result = await done
  latencies.sort((a, b) => a - b)
  return {
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    // autocannon stops at its first 1-second sample after `duration`, so a 1.33 s slice runs
    // 2 s: the rate is over the time it really ran.
    rps: result.requests.total / result.duration,
    seconds: result.duration,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  }
}

/**
 * The fixed-rate generator in C (`paced-load.c`), built once per run with the system's compiler:
 * node's own, sharing the two cores with the server, is itself 1.4–3.8 ms late at p99, more than
 * the 2 ms p99 to be shown; the C one ~0.3 ms. Undefined (the node:http generator is used) when
 * there is no compiler.
 */
function buildPacedLoad(dir: string): string | undefined {
  const binary = join(dir, 'paced-load')
  const built = spawnSync(process.env.CC ?? 'cc', ['-O2', '-o', binary, new URL('./paced-load.c', import.meta.url).pathname], { encoding: 'utf8' })
  if (built.status === 0) return binary
  console.log(`the C load generator did not build (${built.error?.message ?? built.stderr.trim().split('\n')[0]}): the fixed rate comes from the node:http generator`)
  return undefined
}

/** A fixed-rate job on the C generator: the bodies go through a file, a line each. */
async function runPacedNative(binary: string, job: LoadJob, dir: string): Promise<LoadResult> {
  const bodiesFile = join(dir, 'bodies.txt')
  writeFileSync(bodiesFile, job.bodies.join('\n'))
  const url = new URL(job.url)
  const child = spawn(binary, [
    url.hostname, url.port, url.pathname, String(job.rate), String(job.seconds), bodiesFile,
    ...Object.entries(job.headers).map(([name, value]) => `${name}: ${value}`),
  ], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk) => (out += chunk))
  const [code] = await once(child, 'close') as [number]
  if (code !== 0) throw new Error(`paced-load exited with ${code}`)
  const r = JSON.parse(out) as Omit<LoadResult, 'rps' | 'seconds'>
  return { ...r, rps: r.requests / job.seconds, seconds: job.seconds }
}

/**
 * Runs one load job in a separate process, so the generator does not share the server's event
 * loop: the C generator for a fixed rate when it built, else this file with --load.
 */
async function loadInChild(job: LoadJob, pacedLoad: { binary?: string; dir: string }): Promise<LoadResult> {
  if (job.rate && pacedLoad.binary) return runPacedNative(pacedLoad.binary, job, pacedLoad.dir)
  const child = fork(new URL(import.meta.url).pathname, ['--load'], { execArgv: ['--import', 'tsx'], stdio: ['pipe', 'pipe', 'inherit', 'ipc'] })
  child.send(job)
  const [result] = await once(child, 'message') as [LoadResult]
  child.kill()
  return result
}

// ---------------------------------------------------------------- the feature repo and its data

const featureRefs = () => sharedFeatureRefs(VIEWS, FEATURES_PER_VIEW)

/** Writes the bench feature repo: one entity, one CSV source with 50 feature columns, 5 views of 10 features. */
async function writeRepo(dir: string, entities: number): Promise<void> {
  await writeFeatureRepo(dir, { entities, views: VIEWS, featuresPerView: FEATURES_PER_VIEW })
}

/**
 * Request bodies with random entity ids over the whole key space, some of which do not exist
 * (NOT_FOUND, as in production). Enough bodies to ask for every entity about once (at most
 * 5,000 bodies): cycling through a few hundred bodies would keep a few hundred entities hot in
 * the CPU's caches and in server mode's near-cache, which real traffic over 100k entities does not.
 */
function bodies(batch: number, entities: number, count = Math.min(5000, Math.max(200, Math.ceil(entities / batch)))): string[] {
  const features = featureRefs()
  return Array.from({ length: count }, () => JSON.stringify({
    features,
    entities: { driver_id: Array.from({ length: batch }, () => 1000 + Math.floor(Math.random() * entities * 1.01)) },
  }))
}

// ---------------------------------------------------------------- measuring

interface StepResult { batch: number; fixed: LoadResult; max: LoadResult; bareFixed: LoadResult; bareMax: LoadResult; bytes: number }

/**
 * A bare fastify route in a process of its own (`bare-server.mjs`): parses the same JSON body and
 * sends a prebuilt body of the same bytes as asof's answer — the most any route on this machine
 * could do with this request and response size. The body is a Buffer, as asof's answer is:
 * returned as a string, node encodes and copies it on every send, which for the 200 KB answer of
 * 100 entities cost 270 µs per request instead of 45 µs and flattered the ratio (the figures
 * before 2026-11-24 were taken that way).
 */
async function startBare(answers: Map<number, Buffer>): Promise<{ url: string; pid: number; close: () => Promise<void> }> {
  const child = fork(new URL('./bare-server.mjs', import.meta.url).pathname, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  child.send(Object.fromEntries([...answers].map(([batch, answer]) => [batch, answer.toString('base64')])))
  const [url] = await once(child, 'message') as [string]
  return {
    url, pid: child.pid!,
    close: async () => {
      child.kill()
      if (child.exitCode === null) await once(child, 'exit')
    },
  }
}

/** Clock ticks a second, the unit of /proc's CPU times (`getconf CLK_TCK`; 100 where it cannot be asked). */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100

/** A process's CPU time so far (user + system), in µs, from /proc (Linux): each server is a process of its own. */
function processCpuMicros(pid: number): number {
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime is the 12th, stime the 13th, in clock ticks.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1e6 / CLOCK_TICKS
}

async function measure(server: { url: string; pid: number }, headers: Record<string, string>, { entities, seconds, batches, pacedLoad }: BenchOptions): Promise<StepResult[]> {
  const asofUrl = server.url
  const results: StepResult[] = []
  const sample = new Map<number, Buffer>()
  for (const batch of batches) {
    const r = await fetch(`${asofUrl}/get-online-features`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: bodies(batch, entities, 1)[0] })
    const answer = Buffer.from(await r.arrayBuffer())
    if (r.status !== 200) throw new Error(`/get-online-features answered ${r.status}: ${answer.toString('utf8', 0, 300)}`)
    sample.set(batch, answer)
  }
  const bare = await startBare(sample)
  /** A load job, with the CPU time per answered request of the server it loads. */
  const load = async (job: LoadJob, pid: number): Promise<LoadResult> => {
    const cpu = processCpuMicros(pid)
    const result = await loadInChild(job, pacedLoad)
    return { ...result, cpuPerRequest: (processCpuMicros(pid) - cpu) / result.requests }
  }
  const onAsof = (job: LoadJob) => load({ ...job, url: `${asofUrl}/get-online-features` }, server.pid)
  const onBare = (job: LoadJob, batch: number) => load({ ...job, url: `${bare.url}/bare/${batch}` }, bare.pid)
  try {
    for (const batch of batches) {
      const payload = bodies(batch, entities)
      const job = { url: '', headers, bodies: payload, seconds }
      // Warm-up to a long-running server's state: every body asked once, so server mode's
      // near-cache holds every key the measurements ask for (embedded mode loaded every view
      // before it opened its port), then WARM_SECONDS as fast as it answers and WARM_FIXED_SECONDS
      // at the fixed rate, from the generator that measures it: a fresh server is slower while V8
      // optimizes its hot path, and the fixed-rate generator's traffic (its headers, its sockets)
      // had V8 optimize and deoptimize code again after autocannon's (68 functions optimized and
      // 30 deoptimized in the first 4 s of it). Over three 4-second fixed-rate runs after
      // autocannon's 4 s, the 1-entity p99 was 2.5–2.7, 1.5–1.9, then 1.0–1.2 ms.
      await onAsof({ ...job, rate: 0, seconds: 1, amount: payload.length, connections: 8 })
      await onAsof({ ...job, rate: 0, seconds: WARM_SECONDS, connections: 8 })
      await onAsof({ ...job, rate: FIXED_RATE, seconds: WARM_FIXED_SECONDS })
      await onBare({ ...job, rate: 0, seconds: WARM_SECONDS, connections: 8 }, batch)
      await onBare({ ...job, rate: FIXED_RATE, seconds: WARM_FIXED_SECONDS }, batch)
      const fixed = await onAsof({ ...job, rate: FIXED_RATE })
      // The bare route at the same fixed rate: the latency this machine, loaded as it is, adds by itself.
      const bareFixed = await onBare({ ...job, rate: FIXED_RATE }, batch)
      // Maximum rates in alternating slices, so that a change in the machine's load (it is shared)
      // falls on both sides of the ratio alike.
      const slice = { ...job, rate: 0, seconds: seconds / MAX_ROUNDS, connections: 32 }
      const maxSlices: LoadResult[] = []
      const bareSlices: LoadResult[] = []
      for (let round = 0; round < MAX_ROUNDS; round++) {
        maxSlices.push(await onAsof(slice))
        bareSlices.push(await onBare(slice, batch))
      }
      const max = pooled(maxSlices)
      const bareMax = pooled(bareSlices)
      // Past its capacity an open loop piles up connections; requests that then fail are
      // reported beside the fixed-rate latency instead of ending the run.
      for (const [name, run] of Object.entries({ fixed, max, bareFixed, bareMax })) {
        if (run.non2xx || (run.errors && run.sockets === undefined)) throw new Error(`batch ${batch} ${name}: ${run.non2xx} non-2xx answers, ${run.errors} errors`)
      }
      results.push({ batch, fixed, max, bareFixed, bareMax, bytes: sample.get(batch)!.length })
    }
  } finally {
    await bare.close()
  }
  return results
}

/** Slices of one maximum-rate measurement as one: requests over the total time (latencies are not pooled). */
function pooled(slices: readonly LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => slices.reduce((n, r) => n + f(r), 0)
  const requests = sum((r) => r.requests)
  const cpuPerRequest = sum((r) => r.cpuPerRequest! * r.requests) / requests
  const seconds = sum((r) => r.seconds)
  return { requests, non2xx: sum((r) => r.non2xx), errors: sum((r) => r.errors), rps: requests / seconds, seconds, p50: NaN, p99: NaN, cpuPerRequest }
}

const failed = (r: LoadResult) => (r.errors ? ` (${r.errors} failed)` : '')

function report(mode: string, entities: number, results: StepResult[], load: { before: number[]; after: number[]; generator: string }): void {
  const avg = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ')
  console.log(`\n${mode} mode: ${VIEWS * FEATURES_PER_VIEW} features in ${VIEWS} views, ${entities} entities materialized`)
  console.log(`load average before ${avg(load.before)}, after ${avg(load.after)} (1, 5, 15 min; ${cpus().length} CPUs); fixed-rate generator: ${load.generator}`)
  console.log('entities/req  response  p50@1000/s  p99@1000/s  target p99  bare p99@1000/s  gen lag p99  sockets  max req/s  bare req/s  max/bare  CPU/req  bare CPU/req')
  for (const r of results) {
    const target = r.batch === 1 ? '≤ 2 ms' : r.batch === 100 ? '≤ 10 ms' : ''
    console.log([
      String(r.batch).padStart(12), `${(r.bytes / 1024).toFixed(1)} KiB`.padStart(8),
      `${r.fixed.p50.toFixed(2)} ms`.padStart(10), `${r.fixed.p99.toFixed(2)} ms${failed(r.fixed)}`.padStart(10), target.padStart(10),
      `${r.bareFixed.p99.toFixed(2)} ms${failed(r.bareFixed)}`.padStart(15), `${r.fixed.sendLagP99!.toFixed(2)} ms`.padStart(11), String(r.fixed.sockets).padStart(7),
      r.max.rps.toFixed(0).padStart(9), r.bareMax.rps.toFixed(0).padStart(10), `${(100 * r.max.rps / r.bareMax.rps).toFixed(0)} %`.padStart(8),
      `${r.max.cpuPerRequest!.toFixed(0)} µs`.padStart(7), `${r.bareMax.cpuPerRequest!.toFixed(0)} µs`.padStart(12),
    ].join('  '))
  }
}

// ---------------------------------------------------------------- one mode end to end


interface BenchOptions {
  entities: number
  seconds: number
  batches: readonly number[]
  /** The C fixed-rate generator, if it built, and a folder for its bodies files. */
  pacedLoad: { binary?: string; dir: string }
}

/** Runs the `asof` command (the bundle users run) in `repo`; returns what it printed. */
function asofCli(repo: string, env: NodeJS.ProcessEnv, args: readonly string[]): string {
  const bin = new URL('../bin/asof.js', import.meta.url).pathname
  const run = spawnSync(process.execPath, [bin, '--repo', repo, ...args], { env, encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`asof ${args.join(' ')} exited with ${run.status}: ${run.stderr}`)
  return run.stdout
}

/**
 * One mode end to end, on the product as users run it: the repo is applied and materialized
 * with the `asof` command, and `asof serve` answers in a process of its own. (Serving from the
 * bench's own process measured the bench: with the repo's data generated and materialized in
 * the same heap, young collections there took 5–8 ms instead of ~1, and that was the p99.)
 */
async function runMode(mode: 'embedded' | 'postgres', options: BenchOptions & { pgUrl?: string }): Promise<StepResult[]> {
  const repo = tempDir('asof-bench-online-')
  const database = mode === 'postgres' ? await freshDatabase(options.pgUrl!) : undefined
  const env: NodeJS.ProcessEnv = { ...process.env, ASOF_LOG_LEVEL: 'warn', ...(database ? { ASOF_DATABASE_URL: database.url } : {}) }
  try {
    await writeRepo(repo.dir, options.entities)
    asofCli(repo.dir, env, ['apply'])
    const t0 = performance.now()
    asofCli(repo.dir, env, ['materialize', '2025-01-01T00:00:00Z', '2026-06-01T00:00:00Z'])
    console.log(`${mode}: materialized ${options.entities} entities × ${VIEWS} views in ${((performance.now() - t0) / 1000).toFixed(1)} s (the asof command, start included)`)
    // The bulk load just written would otherwise set autovacuum going during the first
    // measurements, competing for the same two cores: measure the steady state a server runs in.
    if (database) await database.query('vacuum analyze')
    // Auth is part of the hot path a real deployment pays for: requests carry a read key.
    const key = JSON.parse(asofCli(repo.dir, env, ['--json', 'keys', 'create', '--scope', 'read', '--name', 'bench'])) as { secret: string }
    const server = await startServe(repo.dir, env, ['--no-scheduler'])
    try {
      return await measure({ url: server.url, pid: server.child.pid! }, { authorization: `Bearer ${key.secret}` }, options)
    } finally {
      await server.stop()
    }
  } finally {
    await database?.drop()
    repo.remove()
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--load')) {
    process.once('message', async (job: LoadJob) => {
      process.send!(await (job.rate ? runPaced(job) : runClosedLoop(job)))
    })
    return
  }
  const { values } = parseArgs({
    options: {
      entities: { type: 'string', default: '100000' },
      seconds: { type: 'string', default: '4' },
      modes: { type: 'string', default: 'embedded,postgres' },
      batches: { type: 'string', default: '1,10,50,100' },
    },
  })
  const entities = Number(values.entities)
  const seconds = Number(values.seconds)
  const pgUrl = process.env.ASOF_BENCH_PG_URL ?? process.env.ASOF_TEST_PG_URL
  const work = tempDir('asof-bench-load-')
  try {
    const pacedLoad = { binary: buildPacedLoad(work.dir), dir: work.dir }
    for (const mode of values.modes!.split(',') as ('embedded' | 'postgres')[]) {
      if (mode === 'postgres' && !pgUrl) {
        console.log('postgres mode skipped: set ASOF_BENCH_PG_URL (or ASOF_TEST_PG_URL)')
        continue
      }
      const before = loadavg()
      const results = await runMode(mode, { entities, seconds, batches: values.batches!.split(',').map(Number), pgUrl, pacedLoad })
      report(mode, entities, results, { before, after: loadavg(), generator: pacedLoad.binary ? 'C (paced-load.c)' : 'node:http' })
    }
  } finally {
    work.remove()
  }
}

await main()
