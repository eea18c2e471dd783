/**
 * `npm run bench:cli` — whole-process start-up of the `asof` command, hyperfine-style: every command
 * is a fresh process, run `--warmup` times and then `--runs` times, the commands alternating round by
 * round (so a burst of load on the machine hits them all alike), with `node -e 0` measured in the same
 * rounds as the floor. Printed per command: median, spread (min–max and the interquartile range), the
 * ratio to `node -e 0`, and the issue-19 target; the load average before and after.
 *
 * `versions` and `plan` read the registry of a temp copy of examples/driver-repo, applied once before
 * measuring (embedded mode: the repo's own DuckDB file). With `--baseline-bin OTHER/bin/asof.js`
 * (another checkout, e.g. main before a change) the same commands run from it too, in the same rounds.
 *
 *   npm run bench:cli -- [--runs 10] [--warmup 2] [--baseline-bin /path/to/old/bin/asof.js]
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const THIS_BIN = resolve(import.meta.dirname, '..', 'bin', 'asof.js')
const EXAMPLE = resolve(import.meta.dirname, '..', 'examples', 'driver-repo')

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'baseline-bin': { type: 'string' },
  },
})
const runs = Number(opts.runs)
const warmup = Number(opts.warmup)

interface Case {
  readonly name: string
  readonly args: readonly string[]
  /** Issue 19's target for the whole process, in seconds; none for the floor. */
  readonly target?: number
  /** Process exit code that counts as success. */
  readonly status: number
}

/** What each binary is measured on, with the targets from issue 19. */
const CASES: readonly Case[] = [
  { name: 'asof --help', args: ['--help'], target: 0.25, status: 0 },
  { name: 'asof validate --help', args: ['validate', '--help'], target: 0.25, status: 0 },
  { name: 'asof versions driver_hourly_stats', args: ['versions', 'driver_hourly_stats'], target: 0.35, status: 0 },
  { name: 'asof plan', args: ['plan'], target: 0.35, status: 0 },
]

interface Runner { readonly label: string; readonly argv: readonly string[]; readonly status: number; readonly target?: number; readonly times: number[] }

/** The caller's environment without ASOF_* (no ASOF_URL sends the commands elsewhere). */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ASOF_')))

const repo = mkdtempSync(join(tmpdir(), 'asof-bench-cli-'))
try {
  cpSync(EXAMPLE, repo, { recursive: true })
  const bins = [THIS_BIN, ...(opts['baseline-bin'] ? [resolve(opts['baseline-bin'])] : [])]
  // One apply per binary's schema would be needed if the two differed; they share the repo, so apply
  // with the baseline first (the older schema) and let this checkout migrate it while warming up.
  for (const bin of [...bins].reverse()) run([process.execPath, bin, 'apply'], 0)

  const runners: Runner[] = [{ label: 'node -e 0', argv: [process.execPath, '-e', '0'], status: 0, times: [] }]
  for (const bin of bins) {
    for (const c of CASES) {
      runners.push({ label: bins.length > 1 ? `${c.name}  [${bin === THIS_BIN ? 'this' : 'baseline'}]` : c.name, argv: [process.execPath, bin, ...c.args], status: c.status, target: c.target, times: [] })
    }
  }

  const before = loadavg()
  for (let round = 0; round < warmup + runs; round++) {
    // Rotate the order each round, so no command always runs right after the same one.
    for (let i = 0; i < runners.length; i++) {
      const r = runners[(i + round) % runners.length]!
      const seconds = run(r.argv, r.status)
      if (round >= warmup) r.times.push(seconds)
    }
  }
  const after = loadavg()

  const floor = median(runners[0]!.times)
  const width = Math.max(...runners.map((r) => r.label.length))
  process.stdout.write(`\n${runs} runs after ${warmup} warm-ups, whole process each, alternating; Node ${process.version}\n`)
  process.stdout.write(`load average before ${fmtLoad(before)}, after ${fmtLoad(after)}\n\n`)
  process.stdout.write(`${'command'.padEnd(width)}  median   min–max          IQR              ×node -e 0  target\n`)
  for (const r of runners) {
    const t = [...r.times].sort((a, b) => a - b)
    const m = median(t)
    const target = r.target === undefined ? '' : `≤ ${r.target.toFixed(2)} s ${m <= r.target ? 'met' : 'MISSED'}`
    process.stdout.write(`${r.label.padEnd(width)}  ${s(m)}  ${s(t[0]!)}–${s(t.at(-1)!)}  ${s(quantile(t, 0.25))}–${s(quantile(t, 0.75))}  ${(m / floor).toFixed(2).padStart(10)}  ${target}\n`)
  }
} finally {
  rmSync(repo, { recursive: true, force: true })
}

/** Runs one process in the bench repo to its exit; its wall-clock seconds. Fails the bench on an unexpected exit. */
function run(argv: readonly string[], status: number): number {
  const start = process.hrtime.bigint()
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd: repo, encoding: 'utf8', env })
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (result.status !== status) throw new Error(`${argv.slice(1).join(' ')} exited ${result.status ?? result.signal}, expected ${status}:\n${result.stderr}`)
  return seconds
}

function median(sorted: readonly number[]): number {
  return quantile([...sorted].sort((a, b) => a - b), 0.5)
}

function quantile(sorted: readonly number[], q: number): number {
  const i = (sorted.length - 1) * q
  const lo = Math.floor(i)
  return sorted[lo]! + (sorted[Math.ceil(i)]! - sorted[lo]!) * (i - lo)
}

function s(seconds: number): string {
  return `${seconds.toFixed(3)} s`
}

function fmtLoad(l: number[]): string {
  return l.map((x) => x.toFixed(2)).join(' ')
}
