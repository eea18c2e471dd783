import { cpSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { Errors } from '../../core/index.js'
import { DuckDbEngine, type Engine } from '../../engines/index.js'

/**
 * The Feast-style driver-statistics data every example, test and benchmark uses, generated
 * inside DuckDB (`range()` plus hash-based pseudo-random numbers), so 10M rows take seconds and
 * the same options always give the same data. Columns and distributions follow
 * shared/bench/README.md.
 */
export interface DriverDataOptions {
  /** Feature rows. */
  rows: number
  /** Distinct drivers K; row i belongs to driver 1000 + (i mod K). Default 1000. */
  drivers?: number
  seed?: number
  /** First hour of the data (default DRIVER_DATA_START); the quickstart ends its data at the current hour. */
  start?: string
}

export const DRIVER_DATA_START = '2024-01-01T00:00:00Z'
/** The start in epoch seconds: arithmetic on numbers, one conversion per row. */
const startSeconds = (options: DriverDataOptions) => Date.parse(options.start ?? DRIVER_DATA_START) / 1000

export const CITIES = [
  'New York', 'Los Angeles', 'Chicago', 'Houston', 'Phoenix', 'Philadelphia', 'San Antonio', 'San Diego', 'Dallas',
  'San Jose', 'Austin', 'Jacksonville', 'Fort Worth', 'Columbus', 'Charlotte', 'San Francisco', 'Indianapolis',
  'Seattle', 'Denver', 'Washington',
] as const

/**
 * A uniform [0,1) number from (row, seed, stream): one independent stream per column. The top
 * 53 bits of the 64-bit hash make the double; the constants stay in the SQL text because a bound
 * modulus is typed as a wide integer and made this 100× slower.
 */
const uniform = (row: unknown, seed: number, stream: number) =>
  sql`(cast(hash(${row}, ${seed}, ${stream}) >> 11 as double) / 9007199254740992)`

/** A uniform integer in [0, n). */
const randomInt = (row: unknown, seed: number, stream: number, n: number) => sql`cast(floor(${uniform(row, seed, stream)} * ${n}) as bigint)`

/** Each driver's fixed offset (0–3599 s) within the hour; the same expression for features and entity labels. */
const driverOffset = (driverId: unknown, seed: number) => randomInt(sql`cast(${driverId} as bigint)`, seed, 0, 3600)

/** conv_rate of feature row `i`, shared by the feature table and the entity labels. */
const convRate = (i: unknown, seed: number) => sql`case
  when ${uniform(i, seed, 1)} < 0.005 then null
  when ${uniform(i, seed, 2)} < 0.0002 then round(1 + ${uniform(i, seed, 3)} * 0.01, 6)
  else round(${uniform(i, seed, 4)}, 6) end`

function formatOf(path: string): 'parquet' | 'csv' {
  if (path.endsWith('.parquet')) return 'parquet'
  if (path.endsWith('.csv')) return 'csv'
  throw Errors.badInput('output', `expected a .parquet or .csv path, got ${path}`)
}

async function copyTo(engine: Engine, query: ReturnType<typeof sql>, path: string): Promise<void> {
  mkdirSync(dirname(resolve(path)), { recursive: true })
  const format = formatOf(path)
  await engine.execute(format === 'parquet'
    ? sql`copy (${query}) to ${path} (format parquet)`
    : sql`copy (${query}) to ${path} (format csv, header true)`)
}

/** Writes the driver-statistics table (see DriverDataOptions) to a .parquet or .csv file. */
export async function writeDriverStats(duckdb: Engine, path: string, options: DriverDataOptions): Promise<void> {
  const k = options.drivers ?? 1000
  const seed = options.seed ?? 42
  const i = sql.ref('i')
  const query = sql`
    select
      cast(1000 + ${i} % ${k} as bigint) as driver_id,
      to_timestamp(ts) as event_timestamp,
      to_timestamp(ts + ${randomInt(i, seed, 5, 3600)}) as created,
      ${convRate(i, seed)} as conv_rate,
      case when ${uniform(i, seed, 6)} < 0.0002 then round(1 + ${uniform(i, seed, 7)} * 0.999, 6)
           else round(${uniform(i, seed, 8)}, 6) end as acc_rate,
      cast(case when ${uniform(i, seed, 9)} < 0.0001
                then (case when ${uniform(i, seed, 10)} < 0.5 then -1 else 1001 + floor(${uniform(i, seed, 11)} * 500) end)
                else floor(${uniform(i, seed, 12)} * 1001) end as bigint) as avg_daily_trips,
      (${CITIES})[1 + ${randomInt(i, seed, 13, CITIES.length)}] as city
    from (
      select range as i,
             ${startSeconds(options)} + (range // ${k}) * 3600 + ${driverOffset(sql`1000 + range % ${k}`, seed)} as ts
      from range(${options.rows})
    ) rows`
  await copyTo(duckdb, query, path)
}

export interface EntityRowsOptions extends DriverDataOptions {
  /** Entity rows to write. */
  entityRows: number
}

/**
 * Writes entity rows for point-in-time retrieval: a random driver and a random timestamp within
 * the feature table's range, plus a `trip_completed` label that depends on the driver's
 * conv_rate at that time (so a model trained on the retrieved features can learn something).
 */
export async function writeDriverEntities(duckdb: Engine, path: string, options: EntityRowsOptions): Promise<void> {
  const k = options.drivers ?? 1000
  const seed = options.seed ?? 42
  const hours = Math.max(1, Math.floor(options.rows / k))
  const j = sql.ref('j')
  // The feature row visible at (driver d, start + second s) is the latest hourly row at or before
  // it: hour index floor((s − offset_d) / 3600), row index hour · K + d.
  const query = sql`
    select cast(1000 + d as bigint) as driver_id,
           to_timestamp(${startSeconds(options)} + s) as event_timestamp,
           cast(case when coalesce(${convRate(sql`cast(floor((s - offset_d) / 3600) * ${k} + d as bigint)`, seed)}, 0.5) * 0.8
                          + ${uniform(j, seed, 21)} * 0.4 > 0.6 then 1 else 0 end as bigint) as trip_completed
    from (
      select j, d, s, ${driverOffset(sql`1000 + d`, seed)} as offset_d
      from (
        select range as j,
               ${randomInt(sql.ref('range'), seed, 19, k)} as d,
               cast(floor(${uniform(sql.ref('range'), seed, 20)} * ${hours * 3600}) as bigint) as s
        from range(${options.entityRows})
      )
    ) e`
  await copyTo(duckdb, query, path)
}

const EXAMPLE_REPO = fileURLToPath(new URL('../../../examples/driver-repo', import.meta.url))

/**
 * Creates a runnable copy of the example feature repo in `dir`: its definitions plus generated
 * `data/driver_stats.parquet` and `data/driver_entities.parquet`.
 */
export async function createExampleRepo(duckdb: Engine, dir: string, options: EntityRowsOptions): Promise<{ statsPath: string; entitiesPath: string }> {
  cpSync(EXAMPLE_REPO, dir, { recursive: true })
  const statsPath = join(dir, 'data', 'driver_stats.parquet')
  const entitiesPath = join(dir, 'data', 'driver_entities.parquet')
  await writeDriverStats(duckdb, statsPath, options)
  await writeDriverEntities(duckdb, entitiesPath, options)
  return { statsPath, entitiesPath }
}

/** `createExampleRepo` with data generated by an in-memory DuckDB of its own (the quickstart's). */
export async function generateExampleRepo(dir: string, options: EntityRowsOptions): Promise<{ statsPath: string; entitiesPath: string }> {
  const duckdb = await DuckDbEngine.open({ path: ':memory:' })
  try {
    return await createExampleRepo(duckdb, dir, options)
  } finally {
    await duckdb.close()
  }
}
