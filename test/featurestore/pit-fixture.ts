import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger, normalizeTimestamp } from '../../src/core/index.js'
import { DuckDbEngine, PostgresEngine, type ColumnSpec, type Engine, type Value } from '../../src/engines/index.js'
import { openMetadataStore } from '../../src/metadata/index.js'
import { createFeatureStore, type FeatureStore } from '../../src/featurestore/index.js'
import { inferColumns } from '../../src/featurestore/retrieval/entity-rows.js'
import { tempDir, type TestEngine } from '../helpers/engines.js'

/** A feature view given as data, in the shape of ../shared/conformance/pit cases. */
export interface ViewFixture {
  name: string
  entities: string[]
  ttl_seconds?: number | null
  timestamp_field: string
  created_timestamp_column?: string | null
  features: string[]
  rows: Record<string, unknown>[]
  field_mapping?: Record<string, string>
  join_key_map?: Record<string, string>
  /** The view's `transformation.sql` (a SELECT over `source`). */
  transformation?: string
  /** Column types when rows cannot tell (all null); otherwise inferred. */
  types?: Record<string, ColumnSpec['type']>
  /** Declared feature dtypes where they differ from the column's type. */
  dtypes?: Record<string, string>
}

export interface PitWorld {
  store: FeatureStore
  /** The engine the sources live on. */
  engine: Engine
  dispose(): Promise<void>
}

/**
 * Builds a feature repo from view fixtures with each view's rows in a table on the engine under
 * test (a DuckDB table, or a PostgreSQL table read by push-down), applies it, and returns the store.
 */
export async function buildPitWorld(testEngine: TestEngine, views: ViewFixture[], service?: { name: string; entries: unknown[] }): Promise<PitWorld> {
  const dir = tempDir('asof-pit-')
  const duckdb = await DuckDbEngine.open({ path: join(dir.dir, 'asof.duckdb') })
  let postgres: PostgresEngine | undefined
  let dispose = async () => {}
  if (testEngine.kind === 'postgres') {
    const opened = await testEngine.open()
    postgres = opened.engine as PostgresEngine
    dispose = opened.dispose
  }
  const engine: Engine = postgres ?? duckdb
  for (const v of views) await loadTable(engine, `src_${v.name}`, v)
  const definitions = {
    entities: views.filter((v) => v.entities.length).map((v) => ({ name: `${v.name}_entity`, join_keys: v.entities })),
    sources: views.map((v) => ({
      name: `${v.name}_source`,
      kind: testEngine.kind,
      table: `src_${v.name}`,
      timestamp_field: v.timestamp_field,
      ...(v.created_timestamp_column ? { created_timestamp_column: v.created_timestamp_column } : {}),
      field_mapping: v.field_mapping ?? {},
    })),
    feature_views: views.map((v) => ({
      name: v.name,
      entities: v.entities.length ? [`${v.name}_entity`] : [],
      ttl: v.ttl_seconds ?? 0,
      source: `${v.name}_source`,
      schema: v.features.map((f) => ({ name: f, dtype: dtypeOf(v, f) })),
      ...(v.transformation ? { transformation: { sql: v.transformation } } : {}),
    })),
    feature_services: service ? [{ name: service.name, features: service.entries }] : [],
  }
  writeFileSync(join(dir.dir, 'asof.yaml'), 'project: pit_test\n')
  writeFileSync(join(dir.dir, 'defs.json'), JSON.stringify(definitions))
  const metadata = await openMetadataStore(duckdb)
  const store = createFeatureStore({ metadata, duckdb, postgres, repoDir: dir.dir, log: createLogger('silent') })
  const world = {
    store,
    engine,
    dispose: async () => {
      await store.close()
      await duckdb.close()
      await dispose()
      dir.remove()
    },
  }
  try {
    await store.apply()
  } catch (e) {
    await world.dispose()
    throw e
  }
  return world
}

function isTimestampColumn(v: ViewFixture, column: string): boolean {
  return column === v.timestamp_field || column === v.created_timestamp_column
}

function dtypeOf(v: ViewFixture, feature: string): string {
  if (v.dtypes?.[feature]) return v.dtypes[feature]
  const column = Object.entries(v.field_mapping ?? {}).find(([, name]) => name === feature)?.[0] ?? feature
  const type = v.types?.[column] ?? inferColumns(v.rows, v.name).find((c) => c.name === column)?.type ?? 'float64'
  return type === 'timestamp' ? 'timestamp' : type
}

/** (Re)creates a view's source table with the fixture's rows: property tests reuse one applied repo. */
export async function loadTable(engine: Engine, table: string, v: ViewFixture): Promise<void> {
  const inferred = inferColumns(v.rows, table)
  const columns: ColumnSpec[] = inferred.map((c) => ({ name: c.name, type: isTimestampColumn(v, c.name) ? 'timestamp' : (v.types?.[c.name] ?? c.type) }))
  for (const [name, type] of Object.entries(v.types ?? {})) if (!columns.some((c) => c.name === name)) columns.push({ name, type })
  await engine.createTable(table, columns, { replace: true })
  const rows = v.rows.map((r) => columns.map((c) => {
    const value = (r[c.name] ?? null) as Value
    return c.type === 'timestamp' && typeof value === 'string' ? normalizeTimestamp(value) : value
  }))
  await engine.insertRows(table, columns, rows)
}

/** Compares result rows with expected rows as a multiset: timestamps as instants, numbers numerically. */
export function canonicalRows(rows: Record<string, unknown>[], timestampColumns: readonly string[]): string[] {
  return rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, canonicalValue(r[k], timestampColumns.includes(k))]))).sort()
}

function canonicalValue(v: unknown, isTimestamp: boolean): unknown {
  if (v === null || v === undefined) return null
  if (isTimestamp && typeof v === 'string') return normalizeTimestamp(v)
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'number') return Number(v.toPrecision(12))
  return v
}
