import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative, dirname, resolve } from 'node:path'
import { MIGRATIONS } from '../migrations/index.js'

/**
 * The dependency rule of DESIGN.md, checked on every import in src/:
 * core ← engines ← metadata ← featurestore, expectations, keys ← pipelines ← asof.ts ← client ← api, cli
 */
const ROOT = resolve(import.meta.dirname, '..')
const SRC = join(ROOT, 'src')

const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  engines: ['core'],
  metadata: ['core', 'engines', 'migrations'],
  featurestore: ['core', 'engines', 'metadata'],
  expectations: ['core', 'engines', 'metadata'],
  keys: ['core', 'engines', 'metadata'],
  pipelines: ['core', 'engines', 'metadata', 'featurestore', 'expectations'],
  'asof.ts': ['core', 'engines', 'metadata', 'featurestore', 'expectations', 'keys', 'pipelines'],
  // The faces reach the services through the client (and asof.ts), never engines/ or metadata/ directly.
  client: ['core', 'featurestore', 'expectations', 'keys', 'pipelines', 'asof.ts'],
  api: ['core', 'featurestore', 'expectations', 'keys', 'pipelines', 'asof.ts', 'client'],
  cli: ['core', 'featurestore', 'expectations', 'keys', 'pipelines', 'asof.ts', 'client', 'api'],
}

/** The CLI reaches api/ only to start the server; every other command goes through the client. */
const CLI_FILES_STARTING_THE_SERVER = new Set(['cli/commands/serve-command.ts', 'cli/commands/quickstart-steps.ts'])

/** Third-party packages confined to one module. */
const CONFINED: Record<string, readonly string[]> = {
  '@duckdb/node-api': ['engines'],
  pg: ['engines'],
  fastify: ['api'],
  '@fastify/': ['api'],
  'fastify-type-provider-zod': ['api'],
  commander: ['cli'],
  '@tensorflow/': ['pipelines'],
  'node-cron': ['pipelines'],
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

/** A top-level entry of src/ (a folder, or asof.ts), or a top-level folder beside src/ (migrations). */
function moduleOf(file: string): string {
  const rel = relative(SRC, file).split('/')
  return rel[0] === '..' ? rel[1]! : rel[0]!
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

describe('architecture', () => {
  const sources = files(SRC)

  /** Every import between two modules of src/: the importing file, the two modules, and the imported file. */
  const crossImports = sources.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(IMPORT)]
    .map((m) => m[1] ?? m[2]!)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => {
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts')
      return { file, spec, from: moduleOf(file), to: moduleOf(target), target }
    })
    .filter((i) => i.from !== i.to))

  it('imports flow one way between modules', () => {
    const violations: string[] = []
    for (const { file, spec, from, to } of crossImports) {
      if (!(ALLOWED[from] ?? []).includes(to)) violations.push(`${relative(ROOT, file)} imports ${spec} (${from} → ${to})`)
      else if (from === 'cli' && to === 'api' && !CLI_FILES_STARTING_THE_SERVER.has(relative(SRC, file))) {
        violations.push(`${relative(ROOT, file)} imports ${spec} (cli → api, beside starting the server)`)
      }
    }
    assert.deepEqual(violations, [])
  })

  it('enters another module only through its index.ts', () => {
    const violations = crossImports
      .filter(({ to, target }) => to !== 'asof.ts' && to !== 'migrations' && target !== join(SRC, to, 'index.ts'))
      .map(({ file, spec, to }) => `${relative(ROOT, file)} imports ${spec}, inside ${to}/`)
    assert.deepEqual(violations, [])
  })

  it('keeps driver and framework packages inside their module', () => {
    const violations: string[] = []
    for (const file of sources) {
      const from = moduleOf(file)
      for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const spec = m[1] ?? m[2]!
        for (const [pkg, homes] of Object.entries(CONFINED)) {
          const matches = pkg.endsWith('/') ? spec.startsWith(pkg) : spec === pkg || spec.startsWith(`${pkg}/`)
          if (matches && !homes.includes(from)) violations.push(`${relative(ROOT, file)} imports ${spec}`)
        }
      }
    }
    assert.deepEqual(violations, [])
  })

  it('uses sql.raw only inside engines/ and reads process.env only in core/config.ts', () => {
    const violations: string[] = []
    for (const file of sources) {
      const rel = relative(SRC, file)
      const text = readFileSync(file, 'utf8')
      if (/sql\.raw\(/.test(text) && !rel.startsWith('engines/')) violations.push(`${rel} uses sql.raw`)
      if (/process\.env/.test(text) && rel !== 'core/config.ts') violations.push(`${rel} reads process.env`)
    }
    assert.deepEqual(violations, [])
  })

  it('lists every migration file in migrations/index.ts, which the metadata store runs', () => {
    const onDisk = readdirSync(join(ROOT, 'migrations')).filter((f) => /^\d{4}_.*\.ts$/.test(f)).map((f) => f.replace(/\.ts$/, '')).sort()
    assert.deepEqual(Object.keys(MIGRATIONS).sort(), onDisk)
  })
})
