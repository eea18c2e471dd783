import { before, after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { CliProcess, cleanEnv } from '../helpers/cli.js'
import { tempDir } from '../helpers/engines.js'
import { HOUR, writeDriverRepo } from '../api/helpers.js'
import { startServe } from '../helpers/serve.js'

/**
 * `import … from 'asof'` as an application does: a consumer project with asof in its
 * node_modules (as `npm install ../asof` links it), type-checked with the declarations `npm ci`
 * writes, and run with node — the README's example exactly as printed there.
 */
const ROOT = resolve(import.meta.dirname, '..', '..')
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const match = /<!-- sdk-example[^>]*-->\n```js\n([\s\S]*?)```/.exec(readme)
  assert.ok(match, 'the README has the SDK example block')
  return match[1]!
}

const node = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) => new CliProcess(process.execPath, args, { cwd, env }).exited

describe('the package entry point (a consumer project)', () => {
  const consumer = tempDir('asof-consumer-')
  before(async () => {
    // The declarations from the sources as they are now (what `npm ci`'s prepare step writes).
    const built = await node([TSC, '-p', 'tsconfig.types.json'], ROOT)
    assert.equal(built.status, 0, built.stdout + built.stderr)
    mkdirSync(join(consumer.dir, 'node_modules'))
    symlinkSync(ROOT, join(consumer.dir, 'node_modules', 'asof'), 'dir')
    writeFileSync(join(consumer.dir, 'package.json'), JSON.stringify({ name: 'app', type: 'module', dependencies: { asof: 'file:../asof' } }))
    mkdirSync(join(consumer.dir, 'feature_repo'))
    writeDriverRepo(join(consumer.dir, 'feature_repo'), Math.floor(Date.now() / HOUR) * HOUR)
  })
  after(() => consumer.remove())

  it('runs the README example: training data and online features from an application', async () => {
    writeFileSync(join(consumer.dir, 'setup.mjs'), [
      "import { openAsof } from 'asof'",
      "const asof = await openAsof({ repo: 'feature_repo' })",
      'const plan = await asof.registry.apply()',
      "const report = await asof.online.materialize({ start: '2000-01-01T00:00:00Z', end: new Date().toISOString() })",
      'console.log(JSON.stringify({ applied: plan.applied, views: Object.keys(report) }))',
      'await asof.close()',
    ].join('\n'))
    const setup = await node(['setup.mjs'], consumer.dir)
    assert.equal(setup.status, 0, setup.stderr)
    assert.equal(JSON.parse(setup.stdout).applied, true, setup.stdout)

    writeFileSync(join(consumer.dir, 'app.mjs'), readmeExample())
    // In process, then over HTTP from a running `asof serve` on the same repo: the same answer.
    expectExampleOutput(await node(['app.mjs'], consumer.dir))
    const server = await startServe(join(consumer.dir, 'feature_repo'), cleanEnv())
    try {
      expectExampleOutput(await node(['app.mjs'], consumer.dir, { ASOF_URL: server.url }))
    } finally {
      await server.stop()
    }
  })

  it('exports what the SDK module exports', async () => {
    const listed = await node(['--input-type=module', '-e', "console.log(JSON.stringify(Object.keys(await import('asof')).sort()))"], consumer.dir)
    assert.equal(listed.status, 0, listed.stderr)
    const sdk = await import('../../src/client/index.js')
    assert.deepEqual(JSON.parse(listed.stdout), Object.keys(sdk).sort())
  })

  it('type-checks a TypeScript consumer, and reports its type errors', async () => {
    writeFileSync(join(consumer.dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true,
        types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      files: ['app.ts'],
    }))
    const typed = [
      "import { openAsof, isAsofError, type AsofClient, type AsofInput, type AsofOutput } from 'asof'",
      "const asof: AsofClient = await openAsof({ repo: 'feature_repo' })",
      "const request: AsofInput<'online', 'get'> = { features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1001] } }",
      'const answer = await asof.online.get(request)',
      'const statuses: string[] = answer.results.flatMap((r) => r.statuses)',
      "const models: AsofOutput<'models', 'list'> = await asof.models.list()",
      'const names: string[] = models.models.map((m) => m.name)',
      'const table = await asof.historical.table({ features: request.features, entity_file: "entities.csv" })',
      'const rows: number = table.numRows',
      'try { await asof.models.get({ name: "x" }) } catch (e) { if (isAsofError(e)) console.log(e.code, e.kind) }',
      'console.log(statuses, names, rows)',
      'export {}',
    ]
    writeFileSync(join(consumer.dir, 'app.ts'), typed.join('\n'))
    const ok = await node([TSC, '-p', 'tsconfig.json'], consumer.dir)
    assert.equal(ok.status, 0, ok.stdout + ok.stderr)

    // The same file with two mistakes a user makes: a wrong field type, an operation that does not exist.
    writeFileSync(join(consumer.dir, 'app.ts'), [...typed, 'await asof.online.get({ features: "conv_rate", entities: {} })', 'await asof.models.remove({ name: "x" })'].join('\n'))
    const bad = await node([TSC, '-p', 'tsconfig.json'], consumer.dir)
    assert.notEqual(bad.status, 0, bad.stdout)
    assert.match(bad.stdout, /app\.ts\(13,.*error TS2322: Type 'string' is not assignable to type 'string\[\]'/)
    assert.match(bad.stdout, /app\.ts\(14,.*error TS2339: Property 'remove' does not exist/)
  })
})

/** What the README example prints on the driver repo of test/api/helpers.ts. */
function expectExampleOutput(app: { status: number | null; stdout: string; stderr: string }): void {
  assert.equal(app.status, 0, app.stderr)
  // 1001's newest row (an hour old, within its 2-day ttl): conv_rate 0.75, 12 trips.
  assert.match(app.stdout, /^1 training row\(s\); conv_rate: Float64Array\(1\) \[ 0\.75 \]$/m)
  // 1002's only row is five days old, beyond the ttl.
  const online = JSON.parse(/^online: (.*)$/m.exec(app.stdout)![1]!) as { metadata: { feature_names: string[] }; results: { values: unknown[]; statuses: string[] }[] }
  assert.deepEqual(online.metadata.feature_names, ['driver_id', 'conv_rate'])
  assert.deepEqual(online.results[1]!.values, [0.75, 0.25])
  assert.deepEqual(online.results[1]!.statuses, ['PRESENT', 'OUTSIDE_MAX_AGE'])
}
