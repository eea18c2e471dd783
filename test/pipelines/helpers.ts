import { createLogger } from '../../src/core/index.js'
import { openMetadataStore, type MetadataStore } from '../../src/metadata/index.js'
import { BUILTIN_TASKS, PipelineRunner, TaskRegistry, parsePipelines, type PipelineSpec, type TaskDefinition, type RunnerOptions } from '../../src/pipelines/index.js'
import { tempDir, type OpenedEngine, type TestEngine } from '../helpers/engines.js'

/** A metadata store on a fresh test engine, a temp home, and a runner factory with a controllable clock. */
export interface RunnerFixture {
  metadata: MetadataStore
  home: string
  clock: { now: Date }
  /** Delays the runner asked to wait between retries, in ms (it does not actually wait). */
  sleeps: number[]
  runner(extra?: readonly TaskDefinition[], options?: Partial<RunnerOptions>): PipelineRunner
  dispose(): Promise<void>
}

export async function openRunnerFixture(engine: TestEngine): Promise<RunnerFixture> {
  const opened: OpenedEngine = await engine.open()
  const metadata = await openMetadataStore(opened.engine)
  const home = tempDir('asof-pipelines-')
  const clock = { now: new Date('2026-03-01T00:00:00Z') }
  const sleeps: number[] = []
  return {
    metadata,
    home: home.dir,
    clock,
    sleeps,
    runner: (extra = [], options = {}) => new PipelineRunner({
      metadata, home: home.dir, log: createLogger('silent'),
      tasks: new TaskRegistry([...BUILTIN_TASKS, ...extra]),
      now: () => clock.now,
      sleep: async (ms) => { sleeps.push(ms) },
      ...options,
    }),
    dispose: async () => { await opened.dispose(); home.remove() },
  }
}

/** One pipeline from an inline definition (tests write them as objects, like parsed YAML). */
export function pipeline(raw: Record<string, unknown>): PipelineSpec {
  const [p] = parsePipelines({ name: 'p', ...raw }, 'test')
  return p!
}
