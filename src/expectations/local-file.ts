import { basename, extname } from 'node:path'
import { DuckDbEngine, col, sql, type FileFormat, type Relation } from '../engines/index.js'
import { profileBatch, type ProfileOptions, type ProposedSuite } from './profiler.js'
import { validate, type Batch } from './validate.js'
import type { ResultFormat } from './formats/result-format.js'
import type { Suite } from './formats/suite.js'
import type { ValidationResult } from './formats/result.js'

/**
 * Work on a data file alone (`asof validate --data`, `asof suite profile`): an in-memory DuckDB of
 * its own, not the repo's database, so there is no lock to share with a running server.
 */
async function withFileEngine<T>(work: (engine: DuckDbEngine) => Promise<T>): Promise<T> {
  const engine = await DuckDbEngine.open({ path: ':memory:' })
  try {
    return await work(engine)
  } finally {
    await engine.close()
  }
}

/**
 * Validates a file (given as `description`, read at `path`). Text formats are parsed once, and
 * only the columns the suite reads, into a table named after the file: a suite reads its batch in
 * more than one statement (the aggregate scan, GROUP BYs, unexpected rows), and parsing CSV is
 * most of the cost. The shown unexpected-rows queries then name that table.
 */
export function validateFile(suite: Suite, path: string, format: FileFormat, options: { description: string; resultFormat: ResultFormat }): Promise<ValidationResult> {
  return withFileEngine(async (engine) => {
    const relation: Relation = { kind: 'file', path, format }
    const prepare = async (columns: readonly string[]): Promise<Relation> => {
      const table = basename(path, extname(path))
      await engine.execute(sql`create table ${sql.id(table)} as select ${sql.join(columns.map((c) => col(c)))} from ${engine.from(relation)}`)
      return { kind: 'table', name: table }
    }
    const batch: Batch = { engine, relation, description: options.description, ...(format === 'parquet' ? {} : { prepare }) }
    return (await validate(suite, batch, { resultFormat: options.resultFormat })).result
  })
}

/** A suite proposed from a file's data. */
export function profileFile(path: string, format: FileFormat, options: ProfileOptions): Promise<ProposedSuite> {
  return withFileEngine((engine) => profileBatch(engine, { kind: 'file', path, format }, options))
}
