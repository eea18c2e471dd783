import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CliProcess } from '../helpers/cli.js'

const ROOT = resolve(import.meta.dirname, '..', '..')

/**
 * bin/asof.js runs a cached bundle of src/ and keeps help texts beside it. Both must follow the
 * sources: this runs a copy of bin/, src/ and migrations/ (sharing node_modules, whose
 * `.cache/asof-cli` holds one folder per fingerprint, so this copy's bundles never meet the
 * checkout's), edits a help string, and expects the next run to print the edit.
 */
describe('CLI bundle cache', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'asof-bundle-cache-'))
    for (const part of ['bin', 'src', 'migrations', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, part), join(dir, part), { recursive: true })
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  })
  after(() => {
    // This copy's bundles name its sources' paths; the checkout's bundles stay.
    const cache = join(ROOT, 'node_modules', '.cache', 'asof-cli')
    for (const bundle of readdirSync(cache)) {
      const chunks = readdirSync(join(cache, bundle)).filter((f) => f.endsWith('.js'))
      if (chunks.some((f) => readFileSync(join(cache, bundle, f), 'utf8').includes(pathToFileURL(dir).href))) rmSync(join(cache, bundle), { recursive: true, force: true })
    }
    rmSync(dir, { recursive: true, force: true })
  })

  const asof = async (...args: string[]) => {
    const result = await new CliProcess(process.execPath, [join(dir, 'bin', 'asof.js'), ...args], { cwd: dir }).exited
    assert.equal(result.status, 0, result.stderr)
    return result.stdout
  }

  it('serves help from the cache, identical to the program\'s, and rebuilds both when a source changes', async () => {
    const first = await asof('--help') // built and printed by the program, then kept
    assert.match(first, /Usage: asof/)
    assert.match(first, /versions/)
    assert.equal(await asof('--help'), first, 'the kept text is what the program printed')
    const validateHelp = await asof('validate', '--help')
    assert.match(validateHelp, /Usage: asof validate/)
    assert.notEqual(validateHelp, first, 'each help request has its own text')

    const program = join(dir, 'src', 'cli', 'program.ts')
    const source = readFileSync(program, 'utf8')
    const description = "'asof: a feature store with data-quality gates'"
    assert.ok(source.includes(description))
    writeFileSync(program, source.replace(description, "'asof: edited after the first build'"))
    const edited = await asof('--help')
    assert.match(edited, /asof: edited after the first build/)
    assert.doesNotMatch(edited, /data-quality gates/)
    assert.equal(await asof('--help'), edited)
  })

  it('runs commands from the rebuilt bundle too, not only help', async () => {
    // `plan` on an empty repo: the registry command's module loads and runs from the bundle.
    const repo = join(dir, 'repo')
    cpSync(join(ROOT, 'examples', 'driver-repo'), repo, { recursive: true })
    const out = await asof('--repo', repo, 'plan')
    assert.match(out, /create +feature_view driver_hourly_stats/)
  })
})
