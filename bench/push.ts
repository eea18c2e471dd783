/**
 * `npm run bench:push` — push throughput: rows/s through `POST /push` with 1 and with 20
 * concurrent pushers, each sending pushes back to back (closed loop), on `asof serve` in a
 * process of its own. Every push carries `--rows` rows of random entities out of `--entities`
 * (so concurrent pushes overlap), in random order, with event timestamps from a handful of
 * values (so equal timestamps meet), to two online views of one source (so each push is one
 * transaction over two views). A push that does not answer 200 counts as an error, not as rows.
 *
 * The baseline is in the same run: 20 pushers are compared with 1 pusher of the same server,
 * and with `--baseline-bin OTHER/bin/asof.js` (another checkout, e.g. the code before a change,
 * with its node_modules) the same slices run against that server too, alternating with this
 * one's, so both see the same machine. The load average is printed with the figures.
 *
 *   npm run bench:push -- [--seconds 5] [--rows 100] [--entities 2000] [--pushers 1,20] [--rounds 3]
 *                         [--modes embedded,postgres] [--baseline-bin /path/to/old/bin/asof.js]
 *
 * PostgreSQL mode needs ASOF_BENCH_PG_URL (or ASOF_TEST_PG_URL); a fresh database per server
 * is created and dropped.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { tempDir } from '../test/helpers/engines.js'
import { startServe } from '../test/helpers/serve.js'
import { freshDatabase } from './fresh-database.js'

const THIS_BIN = resolve(import.meta.dirname, '..', 'bin', 'asof.js')
const TIMES = ['2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z', '2026-01-01T02:00:00Z']
const BODIES = 64

interface Target {
  readonly name: string
  readonly url: string
  readonly headers: Record<string, string>
  stop(): Promise<void>
}

interface Slice { rows: number; pushes: number; errors: number; seconds: number; firstError?: string }

function writeRepo(dir: string): void {
  mkdirSync(join(dir, 'data'))
  writeFileSync(join(dir, 'asof.yaml'), 'project: push_bench\n')
  writeFileSync(join(dir, 'data', 'stats.csv'), 'driver_id,a,b,c,d,e,event_timestamp\n')
  const features = ['a', 'b', 'c', 'd', 'e'].map((f) => `{name: ${f}, dtype: float64}`).join(', ')
  writeFileSync(join(dir, 'repo.yaml'), `
entities:
  - {name: driver, join_keys: [driver_id]}
sources:
  - {name: stats, kind: file, path: data/stats.csv, timestamp_field: event_timestamp}
feature_views:
  - {name: first, entities: [driver], source: stats, online: true, schema: [${features}]}
  - {name: second, entities: [driver], source: stats, online: true, schema: [${features}]}
`)
}

function pushBodies(rows: number, entities: number): string[] {
  return Array.from({ length: BODIES }, () => {
    const ids = Array.from({ length: rows }, () => 1 + Math.floor(Math.random() * entities))
    const column = () => ids.map(() => Math.round(Math.random() * 1e6) / 1e6)
    return JSON.stringify({
      push_source_name: 'stats', to: 'online',
      df: { driver_id: ids, a: column(), b: column(), c: column(), d: column(), e: column(), event_timestamp: ids.map(() => TIMES[Math.floor(Math.random() * TIMES.length)]) },
    })
  })
}


function asofCli(bin: string, repo: string, env: NodeJS.ProcessEnv, args: readonly string[]): string {
  const run = spawnSync(process.execPath, [bin, '--repo', repo, ...args], { env, encoding: 'utf8', timeout: 120_000 })
  if (run.status !== 0) throw new Error(`asof ${args.join(' ')} exited with ${run.status}: ${run.stderr}`)
  return run.stdout
}

/** A repo applied, a write key, and `asof serve` of `bin` on it (its own database in server mode). */
async function startTarget(name: string, bin: string, pgUrl: string | undefined): Promise<Target> {
  const repo = tempDir('asof-bench-push-')
  const database = pgUrl ? await freshDatabase(pgUrl) : undefined
  const env: NodeJS.ProcessEnv = { ...process.env, ASOF_LOG_LEVEL: 'warn', ...(database ? { ASOF_DATABASE_URL: database.url } : {}) }
  writeRepo(repo.dir)
  asofCli(bin, repo.dir, env, ['apply'])
  const key = JSON.parse(asofCli(bin, repo.dir, env, ['--json', 'keys', 'create', '--scope', 'write', '--name', 'bench'])) as { secret: string }
  const server = await startServe(repo.dir, env, ['--no-scheduler'], bin)
  return {
    name, url: server.url, headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
    stop: async () => {
      await server.stop()
      await database?.drop()
      repo.remove()
    },
  }
}

/** `pushers` clients pushing back to back for `seconds`. */
async function slice(target: Target, pushers: number, seconds: number, bodies: readonly string[], rows: number): Promise<Slice> {
  const result: Slice = { rows: 0, pushes: 0, errors: 0, seconds }
  const start = performance.now()
  const deadline = start + seconds * 1000
  let next = 0
  await Promise.all(Array.from({ length: pushers }, async () => {
    while (performance.now() < deadline) {
      const body = bodies[next++ % bodies.length]!
      const response = await fetch(`${target.url}/push`, { method: 'POST', headers: target.headers, body })
      const text = await response.text()
      result.pushes++
      if (response.status === 200) result.rows += rows
      else {
        result.errors++
        result.firstError ??= `${response.status} ${text.slice(0, 160)}`
      }
    }
  }))
  result.seconds = (performance.now() - start) / 1000
  return result
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function runMode(mode: 'embedded' | 'postgres', options: { seconds: number; rows: number; entities: number; pushers: number[]; rounds: number; baselineBin?: string; pgUrl?: string }): Promise<void> {
  const targets: Target[] = []
  try {
    targets.push(await startTarget('this code', THIS_BIN, mode === 'postgres' ? options.pgUrl : undefined))
    if (options.baselineBin) targets.push(await startTarget('baseline', options.baselineBin, mode === 'postgres' ? options.pgUrl : undefined))
    const bodies = pushBodies(options.rows, options.entities)
    // Warm-up: every server compiles its push path before anything is measured.
    for (const t of targets) await slice(t, 1, 1, bodies, options.rows)
    const before = loadavg()
    const slices = new Map<string, Slice[]>()
    for (let round = 0; round < options.rounds; round++) {
      for (const pushers of options.pushers) {
        for (const t of targets) {
          const s = await slice(t, pushers, options.seconds, bodies, options.rows)
          const key = `${t.name}|${pushers}`
          slices.set(key, [...(slices.get(key) ?? []), s])
        }
      }
    }
    const after = loadavg()
    console.log(`\n${mode}: ${options.rows} rows a push, 2 views, ${options.entities} entities, ${options.rounds} rounds of ${options.seconds} s; load average ${before.map((l) => l.toFixed(1)).join(' ')} → ${after.map((l) => l.toFixed(1)).join(' ')}`)
    console.log('server      pushers  rows/s (median)  pushes  errors  first error')
    const rate = (s: Slice) => s.rows / s.seconds
    for (const t of targets) {
      for (const pushers of options.pushers) {
        const ss = slices.get(`${t.name}|${pushers}`)!
        const errors = ss.reduce((n, s) => n + s.errors, 0)
        console.log(`${t.name.padEnd(10)}  ${String(pushers).padStart(7)}  ${median(ss.map(rate)).toFixed(0).padStart(15)}  ${String(ss.reduce((n, s) => n + s.pushes, 0)).padStart(6)}  ${String(errors).padStart(6)}  ${ss.find((s) => s.firstError)?.firstError ?? ''}`)
      }
      const [one, many] = [options.pushers[0]!, options.pushers.at(-1)!]
      if (one !== many) console.log(`${t.name}: ${many} pushers / ${one}: ${(median(slices.get(`${t.name}|${many}`)!.map(rate)) / median(slices.get(`${t.name}|${one}`)!.map(rate))).toFixed(2)}×`)
    }
    if (targets.length === 2) {
      for (const pushers of options.pushers) {
        const [ours, theirs] = targets.map((t) => median(slices.get(`${t.name}|${pushers}`)!.map(rate)))
        console.log(`${pushers} pushers: this code / baseline ${(ours! / theirs!).toFixed(2)}× (the baseline's rows/s count only pushes it answered 200)`)
      }
    }
  } finally {
    for (const t of targets) await t.stop()
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      rows: { type: 'string', default: '100' },
      entities: { type: 'string', default: '2000' },
      pushers: { type: 'string', default: '1,20' },
      rounds: { type: 'string', default: '3' },
      modes: { type: 'string', default: 'embedded,postgres' },
      'baseline-bin': { type: 'string' },
    },
  })
  const pgUrl = process.env.ASOF_BENCH_PG_URL ?? process.env.ASOF_TEST_PG_URL
  for (const mode of values.modes!.split(',') as ('embedded' | 'postgres')[]) {
    if (mode === 'postgres' && !pgUrl) {
      console.log('postgres mode skipped: set ASOF_BENCH_PG_URL (or ASOF_TEST_PG_URL)')
      continue
    }
    await runMode(mode, {
      seconds: Number(values.seconds), rows: Number(values.rows), entities: Number(values.entities),
      pushers: values.pushers!.split(',').map(Number), rounds: Number(values.rounds), baselineBin: values['baseline-bin'], pgUrl,
    })
  }
}

await main()
