import { appendFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'
import { Errors } from '../core/index.js'
import { json } from './definition.js'
import type { JsonValue, TaskContext, TaskDefinition } from './task.js'

/** Small, real task types every pipeline can use (examples, tests, glue between steps). */

/** Waits `ms` milliseconds or until the task is aborted (timeout), whichever comes first. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = () => { clearTimeout(timer); reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

const noop: TaskDefinition<Record<string, never>, null> = {
  name: 'noop',
  description: 'does nothing and succeeds (a join point in a DAG)',
  params: z.object({}).strict(),
  async run() { return null },
}

const emit: TaskDefinition<{ value: JsonValue }, JsonValue> = {
  name: 'emit',
  description: 'outputs `value` after templating (a list for map_over, a setting for downstream tasks)',
  params: z.object({ value: json }).strict(),
  async run(_ctx, p) { return p.value },
}

const sleep: TaskDefinition<{ ms: number; value?: JsonValue }, JsonValue> = {
  name: 'sleep',
  description: 'waits `ms` milliseconds (abortable by the timeout), then outputs `value`',
  params: z.object({ ms: z.number().int().min(0), value: json.optional() }).strict(),
  async run(ctx: TaskContext, p) {
    await abortableSleep(p.ms, ctx.signal)
    return p.value ?? null
  },
}

const fail: TaskDefinition<{ message: string; until_attempt?: number }, null> = {
  name: 'fail',
  description: 'fails with `message`; with `until_attempt: n`, tries 1…n-1 fail and try n succeeds (for retries)',
  params: z.object({ message: z.string().default('failed on purpose'), until_attempt: z.number().int().positive().optional() }).strict(),
  cacheable: false,
  async run(ctx, p) {
    if (p.until_attempt !== undefined && ctx.attempt >= p.until_attempt) return null
    throw Errors.badInput(`task ${ctx.taskId}`, p.message)
  },
}

const appendLine: TaskDefinition<{ path: string; line: string; value?: JsonValue }, JsonValue> = {
  name: 'append_line',
  description: 'appends `line` to the file at `path` (creating it), then outputs `value` — a visible side effect',
  params: z.object({ path: z.string().min(1), line: z.string(), value: json.optional() }).strict(),
  async run(_ctx, p) {
    await mkdir(dirname(p.path), { recursive: true })
    await appendFile(p.path, `${p.line}\n`)
    return p.value ?? null
  },
}

const writeArtifact: TaskDefinition<{ name: string; content: JsonValue }, JsonValue> = {
  name: 'write_artifact',
  description: 'writes `content` (JSON, or text when a string) as artifact `name` and outputs its reference',
  params: z.object({ name: z.string().min(1), content: json }).strict(),
  async run(ctx, p) {
    return ctx.artifacts.write(p.name, typeof p.content === 'string' ? p.content : JSON.stringify(p.content))
  },
}

/** The built-in task types, registered in every runner. */
export const BUILTIN_TASKS: readonly TaskDefinition[] = [noop, emit, sleep, fail, appendLine, writeArtifact]
