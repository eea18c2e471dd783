import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

/** The real `asof` binary, as a user runs it. */
export const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'asof.js')

/**
 * How long one CLI process may run before it is killed and its test fails. Generous, because the
 * machine may be loaded: it only catches a process that would never exit (a DuckDB deadlock at
 * exit once held `npm test` for 23 minutes), and no assertion depends on it.
 */
export const CLI_DEADLINE_MS = 180_000

/** The environment without the caller's ASOF_* variables, plus `env`: a test sees only what it sets. */
export function cleanEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ASOF_')))
  return { ...clean, ...env }
}

export interface CliResult {
  /** The exit code, null when a signal ended the process. */
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface SpawnOptions {
  /** Variables added to `cleanEnv()` (the caller's ASOF_* are never passed on). */
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Kill the process and fail after this long (default CLI_DEADLINE_MS). */
  deadlineMs?: number
  /** Written to the process's stdin, which is then closed. */
  input?: string
}

/** Every process still running, killed when the test file's process exits (a failed test never leaks one). */
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) killGroup(child)
})

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL') // the whole group: whatever the process started dies with it
  } catch {
    child.kill('SIGKILL')
  }
}

/**
 * A real `asof …` (or any `command`) process under a hard deadline: past it the process group is
 * killed with SIGKILL and `exited` — and any `waitFor` — rejects with what it printed.
 */
export class CliProcess {
  readonly child: ChildProcess
  stdout = ''
  stderr = ''
  /** Settles when the process exits; rejects when the deadline killed it. */
  readonly exited: Promise<CliResult>
  private readonly listeners = new Set<() => void>()
  private failure: Error | undefined
  private result: CliResult | undefined

  constructor(readonly command: string, readonly args: readonly string[], options: SpawnOptions = {}) {
    const deadlineMs = options.deadlineMs ?? CLI_DEADLINE_MS
    this.child = spawn(command, args, {
      env: cleanEnv(options.env),
      cwd: options.cwd,
      detached: true, // its own process group, so the deadline kills grandchildren too
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    running.add(this.child)
    if (options.input !== undefined) this.child.stdin!.end(options.input)
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; this.notify() })
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; this.notify() })
    const timer = setTimeout(() => {
      this.failure = new Error(`${this.describe()} was still running after ${deadlineMs / 1000} s: killed.\n${this.printed()}`)
      killGroup(this.child)
    }, deadlineMs)
    this.exited = new Promise<CliResult>((resolve, reject) => {
      this.child.on('error', (e) => { clearTimeout(timer); running.delete(this.child); reject(e) })
      this.child.on('close', (status, signal) => {
        clearTimeout(timer)
        running.delete(this.child)
        this.result = { status, signal, stdout: this.stdout, stderr: this.stderr }
        this.notify()
        if (this.failure) reject(this.failure)
        else resolve(this.result)
      })
    })
    this.exited.catch(() => {}) // a caller that never awaits it still fails through waitFor or its own asserts
  }

  /**
   * Resolves with the first match of `pattern` in stdout (or stderr); rejects when the process
   * exits first, or the deadline kills it, saying what it printed.
   */
  waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = this[stream].match(pattern)
        if (match) return done(() => resolve(match))
        if (this.failure) return done(() => reject(this.failure))
        if (this.result) done(() => reject(new Error(`${this.describe()} exited ${this.result!.status ?? this.result!.signal} before printing ${pattern}.\n${this.printed()}`)))
      }
      const done = (settle: () => void) => { this.listeners.delete(check); settle() }
      this.listeners.add(check)
      check()
    })
  }

  /** Sends `signal` (SIGTERM by default) and waits for the exit, still under the deadline. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<CliResult> {
    if (!this.result) this.child.kill(signal)
    return this.exited
  }

  /** Kills the process group at once (cleanup in `finally`); never throws. */
  kill(): void {
    if (!this.result) killGroup(this.child)
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener()
  }

  private describe(): string {
    return `${this.command === process.execPath ? 'node' : this.command} ${this.args.map((a) => (a === BIN ? 'asof' : a)).join(' ')}`
  }

  private printed(): string {
    return `--- stdout:\n${this.stdout.slice(-4000)}\n--- stderr:\n${this.stderr.slice(-4000)}`
  }
}

/** Starts `asof args…` under a deadline (see CliProcess). */
export function spawnAsof(args: readonly string[], options?: SpawnOptions): CliProcess {
  return new CliProcess(process.execPath, [BIN, ...args], options)
}

/** Runs `asof args…` to its exit under a deadline; the exit code is in `status`, never thrown. */
export function runAsof(args: readonly string[], options?: SpawnOptions): Promise<CliResult> {
  return spawnAsof(args, options).exited
}

/**
 * `runAsof` for tests that want the result at once (a whole file of sequential CLI calls): the
 * same deadline, and a process it killed throws with what it printed instead of returning.
 */
export function runAsofSync(args: readonly string[], options: Omit<SpawnOptions, 'input'> = {}): CliResult {
  const deadlineMs = options.deadlineMs ?? CLI_DEADLINE_MS
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8', env: cleanEnv(options.env), cwd: options.cwd, timeout: deadlineMs, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024,
  })
  if (r.error) {
    const why = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `was still running after ${deadlineMs / 1000} s: killed` : `failed: ${r.error.message}`
    throw new Error(`asof ${args.join(' ')} ${why}.\n--- stdout:\n${String(r.stdout).slice(-4000)}\n--- stderr:\n${String(r.stderr).slice(-4000)}`)
  }
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
}
