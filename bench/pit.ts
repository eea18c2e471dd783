/**
 * `npm run bench:pit` — point-in-time retrieval on the generated driver data (10M feature rows ×
 * 1M entity rows at --scale 1):
 *
 * 1. DuckDB: asof's historical retrieval from the Parquet files into a Parquet dataset, as a ratio to
 *    a hand-written DuckDB `ASOF LEFT JOIN` (with the same 2-day ttl) writing the same file, in the
 *    same process (target ≤ 1.3×). The data's (driver_id, event_timestamp) pairs are unique, so the
 *    plain ASOF join is correct here; asof also breaks ties by the created timestamp (its time
 *    includes choosing the tie-break key, see pit-duckdb.ts).
 * 2. With ASOF_BENCH_PG_URL (or ASOF_TEST_PG_URL): the same retrieval with the feature table in
 *    PostgreSQL (pushed down), as a ratio to a hand-written `LEFT JOIN LATERAL … LIMIT 1` over an
 *    index on (driver_id, event_timestamp) with the entity rows already in a table. asof's time
 *    includes loading the entity rows into PostgreSQL. Both fetch the rows into JavaScript.
 *
 *   npm run bench:pit -- [--scale 1] [--pg-scale 0.1] [--repeat 3]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import { createLogger } from '../src/core/index.js'
import { DuckDbEngine, PostgresEngine, copyDuckDbToPostgres, sql } from '../src/engines/index.js'
import { openMetadataStore } from '../src/metadata/index.js'
import { createExampleRepo, createFeatureStore, type FeatureStore } from '../src/featurestore/index.js'

const { values: flags } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    'pg-scale': { type: 'string' },
    repeat: { type: 'string', default: '3' },
  },
})
const scale = Number(flags.scale)
const pgScale = Number(flags['pg-scale'] ?? flags.scale)
const repeat = Number(flags.repeat)
const pgUrl = process.env.ASOF_BENCH_PG_URL ?? process.env.ASOF_TEST_PG_URL
const FEATURES = ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:acc_rate', 'driver_hourly_stats:avg_daily_trips']

interface Timing { wall: number; cpu: number }

/** Wall time and this process's CPU time (DuckDB's threads included; a PostgreSQL server's work is not). */
async function time(fn: () => Promise<unknown>): Promise<Timing> {
  const start = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  await fn()
  const used = process.cpuUsage(cpu)
  return { wall: Number(process.hrtime.bigint() - start) / 1e9, cpu: (used.user + used.system) / 1e6 }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/**
 * Runs both sides `repeat` times, alternating, and reports the ratio of medians and of minimums
 * (the minimum is the run least disturbed by other load), plus the ratio of CPU time, which a
 * busy machine disturbs much less than wall time.
 */
async function compare(label: string, ours: () => Promise<unknown>, baseline: () => Promise<unknown>, cpu = true): Promise<void> {
  const a: Timing[] = []
  const b: Timing[] = []
  for (let i = 0; i < repeat; i++) {
    b.push(await time(baseline))
    a.push(await time(ours))
  }
  const wall = (xs: Timing[]) => xs.map((x) => x.wall)
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ')
  const [ma, mb] = [median(wall(a)), median(wall(b))]
  const cpuRatio = median(a.map((x) => x.cpu)) / median(b.map((x) => x.cpu))
  console.log(`${label}: asof ${ma.toFixed(2)} s, hand-written ${mb.toFixed(2)} s → ratio ${(ma / mb).toFixed(2)}× median, ${(Math.min(...wall(a)) / Math.min(...wall(b))).toFixed(2)}× min` +
    (cpu ? `, ${cpuRatio.toFixed(2)}× CPU` : '') + ` (runs: asof ${fmt(wall(a))}; baseline ${fmt(wall(b))})`)
}

async function openStore(dir: string, duckdb: DuckDbEngine, postgres?: PostgresEngine): Promise<FeatureStore> {
  const metadata = await openMetadataStore(duckdb)
  const store = createFeatureStore({ metadata, duckdb, postgres, repoDir: dir, log: createLogger('silent') })
  await store.apply()
  return store
}

async function benchDuckDb(): Promise<void> {
  const rows = Math.round(10_000_000 * scale)
  const entityRows = Math.round(1_000_000 * scale)
  const dir = mkdtempSync(join(tmpdir(), 'asof-bench-pit-'))
  const duckdb = await DuckDbEngine.open({ path: join(dir, '.asof', 'asof.duckdb') })
  try {
    const started = Date.now()
    const { statsPath, entitiesPath } = await createExampleRepo(duckdb, dir, { rows, entityRows })
    console.log(`generated ${rows} feature rows and ${entityRows} entity rows in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    const store = await openStore(dir, duckdb)
    const ours = join(dir, 'asof.parquet')
    const theirs = join(dir, 'baseline.parquet')
    await compare(`DuckDB ${rows} × ${entityRows}`,
      () => store.writeHistorical({ features: FEATURES, entities: { kind: 'file', path: entitiesPath } }, ours),
      () => duckdb.execute(sql`copy (
        select e.*,
          case when f.event_timestamp >= e.event_timestamp - interval 2 day then f.conv_rate end as conv_rate,
          case when f.event_timestamp >= e.event_timestamp - interval 2 day then f.acc_rate end as acc_rate,
          case when f.event_timestamp >= e.event_timestamp - interval 2 day then f.avg_daily_trips end as avg_daily_trips
        from read_parquet(${entitiesPath}) e
        asof left join read_parquet(${statsPath}) f on e.driver_id = f.driver_id and e.event_timestamp >= f.event_timestamp
      ) to ${theirs} (format parquet)`))
    const [diff] = await duckdb.query<{ n: number }>(sql`select count(*) as n from (
      (select * from read_parquet(${ours}) except all select * from read_parquet(${theirs}))
      union all (select * from read_parquet(${theirs}) except all select * from read_parquet(${ours})))`)
    console.log(`  datasets differ in ${diff!.n} rows`)
  } finally {
    await duckdb.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function benchPostgres(url: string): Promise<void> {
  const rows = Math.round(10_000_000 * pgScale)
  const entityRows = Math.round(1_000_000 * pgScale)
  const dir = mkdtempSync(join(tmpdir(), 'asof-bench-pit-pg-'))
  const schema = `asof_bench_${randomBytes(4).toString('hex')}`
  const duckdb = await DuckDbEngine.open({ path: join(dir, '.asof', 'asof.duckdb') })
  const pg = await PostgresEngine.open(url, { schema })
  try {
    const { statsPath, entitiesPath } = await createExampleRepo(duckdb, dir, { rows, entityRows })
    let started = Date.now()
    await copyParquetToPostgres(duckdb, pg, statsPath, 'driver_stats')
    await pg.execute(sql`create index on driver_stats (driver_id, event_timestamp)`)
    await pg.execute(sql`analyze driver_stats`)
    console.log(`loaded ${rows} feature rows into PostgreSQL with an index in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    started = Date.now()
    await copyParquetToPostgres(duckdb, pg, entitiesPath, 'entity_rows')
    await pg.execute(sql`analyze entity_rows`)
    console.log(`loaded ${entityRows} entity rows for the baseline in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    // The example repo with its source switched to the PostgreSQL table.
    writeFileSync(join(dir, 'driver_repo.yaml'), `
entities: [{name: driver, join_keys: [driver_id]}]
sources: [{name: driver_stats_source, kind: postgres, table: driver_stats, timestamp_field: event_timestamp, created_timestamp_column: created}]
feature_views:
  - name: driver_hourly_stats
    entities: [driver]
    ttl: 2d
    source: driver_stats_source
    schema: [{name: conv_rate, dtype: float64}, {name: acc_rate, dtype: float64}, {name: avg_daily_trips, dtype: int64}]
`)
    const store = await openStore(dir, duckdb, pg)
    await compare(`PostgreSQL ${rows} × ${entityRows}`,
      () => store.historical({ features: FEATURES, entities: { kind: 'file', path: entitiesPath } }),
      () => pg.query(sql`select e.*, f.conv_rate, f.acc_rate, f.avg_daily_trips
        from entity_rows e
        left join lateral (select conv_rate, acc_rate, avg_daily_trips from driver_stats s
          where s.driver_id = e.driver_id and s.event_timestamp <= e.event_timestamp and s.event_timestamp >= e.event_timestamp - interval '2 days'
          order by s.event_timestamp desc, s.created desc nulls last limit 1) f on true`), false)
  } finally {
    await pg.execute(sql`drop schema ${sql.id(schema)} cascade`).catch(() => {})
    await pg.close()
    await duckdb.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Copies a Parquet file into a new PostgreSQL table by COPY. */
async function copyParquetToPostgres(duckdb: DuckDbEngine, pg: PostgresEngine, path: string, table: string): Promise<void> {
  const columns = await duckdb.describe({ kind: 'file', path, format: 'parquet' })
  await pg.createTable(table, columns)
  await copyDuckDbToPostgres(duckdb, sql`select * from read_parquet(${path})`, pg, table, columns)
}

console.log(`bench:pit on ${process.platform}/${process.arch}, node ${process.version}`)
await benchDuckDb()
if (pgUrl) await benchPostgres(pgUrl)
else console.log('ASOF_BENCH_PG_URL / ASOF_TEST_PG_URL not set: PostgreSQL path skipped')
