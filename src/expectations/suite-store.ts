import { Errors, hashValue } from '../core/index.js'
import { suitesRepo, type MetadataStore, type SuiteVersionRow } from '../metadata/index.js'
import { readSuite, stringifySuite, suiteToGx1, type Suite } from './formats/suite.js'

/**
 * Expectation suites kept in the metadata store as GX 1.x JSON, each change a new immutable version
 * (create, read any version, update = save again, delete). Suites are read in either GX format.
 */
export interface StoredSuite {
  readonly name: string
  readonly version: number
  readonly suite: Suite
  /** The suite as GX 1.x JSON. */
  readonly gx: Record<string, unknown>
  readonly createdAt: string
}

export interface SuiteSummary {
  readonly name: string
  readonly currentVersion: number
  readonly createdAt: string
  readonly updatedAt: string
}

const SUITE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$/

/** Throws bad_input unless `name` can name a stored suite (letters, digits, `_`, `.`, `-`). */
export function assertSuiteName(name: string, where = 'suite name'): string {
  if (!SUITE_NAME.test(name)) throw Errors.badInput(where, `${JSON.stringify(name)} is not a valid suite name (letters, digits, _ . -; at most 200)`)
  return name
}

/** `name` or `name@3`: a stored suite, optionally pinned to a version. */
export function parseSuiteRef(ref: string, where = 'suite'): { name: string; version?: number } {
  const m = /^(.*?)(?:@(\d+))?$/.exec(ref)!
  return { name: assertSuiteName(m[1]!, where), ...(m[2] ? { version: Number(m[2]) } : {}) }
}

export interface SuiteStore {
  list(): Promise<SuiteSummary[]>
  /** A stored suite (current version unless `version`); not_found lists the known names. */
  get(name: string, version?: number): Promise<StoredSuite>
  versions(name: string): Promise<StoredSuite[]>
  /**
   * Saves a suite (GX 0.x or 1.x JSON text or object) under its own name, or `name` when given. An
   * unchanged suite keeps its version (`created: false`).
   */
  save(input: string | unknown, options?: { name?: string; where?: string }): Promise<{ name: string; version: number; created: boolean }>
  delete(name: string): Promise<void>
}

export function createSuiteStore(store: MetadataStore, clock: () => Date = () => new Date()): SuiteStore {
  const toStored = (row: SuiteVersionRow): StoredSuite => {
    const suite = readSuite(row.suite, `stored suite ${row.name}@${row.version}`)
    return { name: row.name, version: Number(row.version), suite, gx: suiteToGx1(suite), createdAt: row.created_at }
  }
  const notFound = async (name: string) => Errors.notFound('suite', name, (await suitesRepo.listSuites(store.db)).map((s) => s.name))
  return {
    async list() {
      return (await suitesRepo.listSuites(store.db)).map((s) => ({ name: s.name, currentVersion: Number(s.current_version), createdAt: s.created_at, updatedAt: s.updated_at }))
    },
    async get(name, version) {
      const row = await suitesRepo.getSuiteVersion(store.db, name, version)
      if (!row) {
        if (version !== undefined && (await suitesRepo.getSuiteVersion(store.db, name))) throw Errors.notFound(`version of suite ${name}`, String(version), (await suitesRepo.listSuiteVersions(store.db, name)).map((v) => String(v.version)))
        throw await notFound(name)
      }
      return toStored(row)
    },
    async versions(name) {
      const rows = await suitesRepo.listSuiteVersions(store.db, name)
      if (rows.length === 0) throw await notFound(name)
      return rows.map(toStored)
    },
    async save(input, options = {}) {
      const where = options.where ?? 'suite'
      const read = readSuite(input, where)
      const name = assertSuiteName(options.name ?? read.name, `${where}: name`)
      const gx = suiteToGx1({ ...read, name })
      const saved = await store.transaction((tx) => suitesRepo.saveSuiteVersion(tx, name, stringifySuite(gx), hashValue(gx), clock().toISOString()))
      return { name, ...saved }
    },
    async delete(name) {
      if (!(await suitesRepo.deleteSuite(store.db, name))) throw await notFound(name)
    },
  }
}
