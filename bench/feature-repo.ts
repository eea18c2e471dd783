/**
 * The benchmarks' feature repo: one entity (`driver`), one file source with every feature
 * column, `views` feature views of `featuresPerView` float64 features each (bench:online's 5 × 10
 * by default). Shared by bench:online and bench:materialize, so both measure the same data.
 */
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { once } from 'node:events'
import { DuckDbEngine, sql } from '../src/engines/index.js'

export interface FeatureRepoShape {
  entities: number
  views?: number
  featuresPerView?: number
  /** One row per entity at each of these event timestamps (the values differ per timestamp). */
  timestamps?: readonly string[]
  /** The source file: CSV as written, or Parquet converted from it by DuckDB. */
  format?: 'csv' | 'parquet'
  project?: string
}

export const viewName = (v: number) => `driver_stats_${v}`
export const featureName = (v: number, f: number) => `f${v}_${f}`

/** Every feature ref of the shape, `view:feature`, view by view. */
export function featureRefs(views = 5, featuresPerView = 10): string[] {
  const refs: string[] = []
  for (let v = 0; v < views; v++) for (let f = 0; f < featuresPerView; f++) refs.push(`${viewName(v)}:${featureName(v, f)}`)
  return refs
}

/** Writes the repo into `dir`; returns the source file's path. */
export async function writeFeatureRepo(dir: string, shape: FeatureRepoShape): Promise<string> {
  const { entities, views = 5, featuresPerView = 10, timestamps = ['2026-01-01T00:00:00Z'], format = 'csv', project = 'online_bench' } = shape
  mkdirSync(join(dir, 'data'), { recursive: true })
  const file = `data/features.${format}`
  writeFileSync(join(dir, 'asof.yaml'), `project: ${project}\n`)
  const viewYaml = Array.from({ length: views }, (_, v) => [
    `  - name: ${viewName(v)}`,
    '    entities: [driver]',
    '    source: features',
    '    online: true',
    '    schema:',
    ...Array.from({ length: featuresPerView }, (_, f) => `      - {name: ${featureName(v, f)}, dtype: float64}`),
  ].join('\n'))
  writeFileSync(join(dir, 'bench.yaml'), [
    'entities:',
    '  - {name: driver, join_keys: [driver_id]}',
    'sources:',
    `  - {name: features, kind: file, path: ${file}, timestamp_field: event_timestamp}`,
    'feature_views:',
    ...viewYaml,
    '',
  ].join('\n'))
  const csv = join(dir, 'data', 'features.csv')
  const out = createWriteStream(csv)
  const columns = featureRefs(views, featuresPerView).map((r) => r.split(':')[1])
  out.write(`driver_id,event_timestamp,${columns.join(',')}\n`)
  for (const [t, ts] of timestamps.entries()) {
    for (let id = 0; id < entities; id++) {
      let line = `${1000 + id},${ts}`
      for (let c = 0; c < columns.length; c++) line += `,${((id * 31 + c * 17 + t * 7) % 1000) / 1000}`
      if (!out.write(`${line}\n`)) await once(out, 'drain')
    }
  }
  out.end()
  await once(out, 'finish')
  if (format === 'parquet') {
    const duckdb = await DuckDbEngine.open({ path: ':memory:' })
    try {
      await duckdb.execute(sql`copy (select * replace (cast(event_timestamp as timestamptz) as event_timestamp) from read_csv(${csv}, header = true))
        to ${join(dir, file)} (format parquet)`)
    } finally {
      await duckdb.close()
    }
    rmSync(csv)
  }
  return join(dir, file)
}
