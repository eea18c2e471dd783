import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { loadConfig } from '../../src/core/index.js'
import { composeAsof, type Asof } from '../../src/asof.js'
import { buildApp, type AppOptions } from '../../src/api/index.js'
import { PG_URL, tempDir, type TestEngine } from '../helpers/engines.js'

export interface TestService {
  readonly asof: Asof
  readonly app: FastifyInstance
  /** The base URL of the app listening on an ephemeral loopback port. */
  readonly url: string
  readonly repoDir: string
  dispose(): Promise<void>
}

/**
 * A real asof (temp DuckDB home, or a fresh PostgreSQL database for server mode) served on
 * port 0. `env` reaches loadConfig, e.g. `{ ASOF_BODY_LIMIT: '1000' }`; `writeRepo` fills the feature
 * repo directory before asof opens it.
 */
export async function startTestService(engine: TestEngine, options: AppOptions & { env?: Record<string, string>; writeRepo?: (dir: string) => void } = {}): Promise<TestService> {
  const { dir, remove } = tempDir('asof-api-')
  options.writeRepo?.(dir)
  const database = engine.kind === 'postgres' ? await freshPgDatabase() : undefined
  const config = loadConfig({ repoDir: dir, databaseUrl: database?.url, logLevel: 'silent' }, options.env ?? {})
  const asof = await composeAsof(config)
  const app = await buildApp(asof, options)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    asof, app, repoDir: dir, url: `http://127.0.0.1:${port}`,
    dispose: async () => {
      await app.close()
      await asof.close()
      await database?.drop()
      remove()
    },
  }
}

/** A new, empty PostgreSQL database on the test server (server mode starts from nothing), and how to drop it. */
export async function freshPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `asof_api_${randomBytes(6).toString('hex')}`
  await adminQuery(`create database ${name}`)
  const url = new URL(PG_URL!)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) }
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

/** fetch with JSON in and out; returns status, headers and the parsed body (text when not JSON). */
export async function call(url: string, method: string, path: string, options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers }
  let body: string | undefined = options.rawBody
  if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  if (options.rawBody !== undefined) headers['content-type'] ??= 'application/json'
  const response = await fetch(url + path, { method, headers, body })
  const text = await response.text()
  let json: any
  try { json = JSON.parse(text) } catch { json = undefined }
  return { status: response.status, headers: response.headers, text, json }
}

export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

export const HOUR = 3600_000
export const iso = (ms: number) => new Date(ms).toISOString()

/** A driver-stats repo on a CSV file: 1001 fresh, 1002 five days old (ttl 2d), 1003 outside the materialized window. */
export function writeDriverRepo(dir: string, now: number): void {
  mkdirSync(join(dir, 'data'))
  writeFileSync(join(dir, 'asof.yaml'), 'project: api_test\n')
  writeFileSync(join(dir, 'data', 'driver_stats.csv'), [
    'driver_id,conv_rate,avg_daily_trips,event_timestamp',
    `1001,0.5,10,${iso(now - 30 * 24 * HOUR)}`,
    `1001,0.75,12,${iso(now - HOUR)}`,
    `1002,0.25,30,${iso(now - 5 * 24 * HOUR)}`,
    `1003,0.125,40,${iso(now + 24 * HOUR)}`,
    '',
  ].join('\n'))
  writeFileSync(join(dir, 'entities.csv'), `driver_id,event_timestamp\n1001,${iso(now - 30 * 24 * HOUR + HOUR)}\n`)
  writeFileSync(join(dir, 'repo.yaml'), `
entities:
  - {name: driver, join_keys: [driver_id]}
sources:
  - {name: driver_stats_source, kind: file, path: data/driver_stats.csv, timestamp_field: event_timestamp}
feature_views:
  - name: driver_hourly_stats
    entities: [driver]
    ttl: 2d
    source: driver_stats_source
    online: true
    schema:
      - {name: conv_rate, dtype: float64}
      - {name: avg_daily_trips, dtype: int64}
feature_services:
  - name: driver_activity
    features: [driver_hourly_stats:conv_rate]
`)
}
