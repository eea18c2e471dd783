import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { DuckDbEngine, PostgresEngine, type Engine, type EngineKind } from '../../src/engines/index.js'

/** PostgreSQL tests run when ASOF_TEST_PG_URL is set (CI always sets it) and skip otherwise. */
export const PG_URL = process.env.ASOF_TEST_PG_URL

export const PG_SKIP_REASON = PG_URL ? undefined : 'ASOF_TEST_PG_URL is not set: PostgreSQL tests skipped'
if (PG_SKIP_REASON) console.log(`# ${PG_SKIP_REASON}`)

export interface TestEngine {
  readonly kind: EngineKind
  /** Set when the engine cannot run here; pass to node:test's `skip`. */
  readonly skip?: string
  /** A fresh, isolated engine: a temp DuckDB file, or a new PostgreSQL schema. */
  open(): Promise<OpenedEngine>
}

export interface OpenedEngine {
  readonly engine: Engine
  /** Closes the engine and deletes what `open` created. */
  dispose(): Promise<void>
  /** For PostgreSQL: the schema (to reconnect with `ASOF_DATABASE_URL`-style urls). */
  readonly schema?: string
}

export const ENGINES: readonly TestEngine[] = [
  { kind: 'duckdb', open: openTestDuckDb },
  { kind: 'postgres', skip: PG_SKIP_REASON, open: openTestPostgres },
]

export async function openTestDuckDb(): Promise<OpenedEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'asof-test-'))
  const engine = await DuckDbEngine.open({ path: join(dir, 'test.duckdb') })
  return {
    engine,
    dispose: async () => {
      await engine.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function newTestSchemaName(): string {
  return `asof_test_${randomBytes(6).toString('hex')}`
}

export async function openTestPostgres(): Promise<OpenedEngine> {
  if (!PG_URL) throw new Error(PG_SKIP_REASON)
  const schema = newTestSchemaName()
  const engine = await PostgresEngine.open(PG_URL, { schema })
  return { engine, schema, dispose: async () => { await engine.close(); await dropSchema(schema) } }
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    await client.query(`drop schema if exists ${schema} cascade`)
  } finally {
    await client.end()
  }
}

/** A temp directory removed by the returned function. */
export function tempDir(prefix = 'asof-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
