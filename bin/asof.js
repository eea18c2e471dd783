#!/usr/bin/env node
// The `asof` command. It runs the TypeScript sources directly, so there is no build step to forget and
// no stale compiled output to run by mistake: src/ and migrations/ are bundled by esbuild into a cache
// keyed by every source file's path, size and mtime (rebuilt in ~0.3 s when any of them changes).
// Loading one bundle instead of ~150 files through tsx's loader hooks was most of a short command's
// time (measured: 2.8 s → 1.2 s for `asof validate --help` under load).
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src')
/** What the bundle is built from: a change to any file here rebuilds it. */
const sourceDirs = [src, join(root, 'migrations')]
const cacheRoot = join(root, 'node_modules', '.cache', 'asof-cli')
/**
 * Pure-JavaScript packages every command loads, bundled in: Node resolves, reads and (for CommonJS
 * imported from ESM) lexes each of their files — ~120 for @duckdb/node-api, ~280 opened for kysely —
 * which cost ~0.4 s of every start (measured: kysely 0.18 s, @duckdb/node-api 0.23 s, zod 0.07 s).
 * yaml (73 files) and apache-arrow (146 files, with flatbuffers) are loaded by every command that
 * opens a repo.
 */
const BUNDLED = ['kysely', 'zod', '@duckdb/node-api', 'commander', 'yaml', 'apache-arrow']

function fingerprint() {
  const hash = createHash('sha256')
  // This file holds the build's settings, and the bundled packages' code is copied in: an
  // `npm install` that changes one of them must rebuild too.
  const inputs = [fileURLToPath(import.meta.url), ...BUNDLED.map((p) => join(root, 'node_modules', p, 'package.json'))]
  for (const path of inputs) {
    const stat = statSync(path, { throwIfNoEntry: false }) // a package hoisted above the project is not looked for
    hash.update(`${path}\0${stat?.size}\0${stat?.mtimeMs}\n`)
  }
  for (const dir of sourceDirs) {
    for (const entry of readdirSync(dir, { recursive: true }).sort()) {
      const path = join(dir, entry)
      const stat = statSync(path)
      if (stat.isFile()) hash.update(`${path}\0${stat.size}\0${stat.mtimeMs}\n`)
    }
  }
  return hash.digest('hex').slice(0, 16)
}

/** Builds the bundle into a private folder and renames it into place, so concurrent runs never see half of one. */
async function build(outdir) {
  const { build: esbuild } = await import('esbuild')
  const { readFile } = await import('node:fs/promises')
  const tmp = `${outdir}.tmp-${process.pid}`
  await esbuild({
    entryPoints: [join(src, 'cli', 'program.ts')],
    outdir: tmp,
    bundle: true,
    splitting: true, // each lazily loaded command stays its own chunk
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'silent', // a failed build falls back to tsx, which reports a real syntax error itself
    // Bundled CommonJS (@duckdb/node-api) requires its native bindings, which stay external: give it a require.
    banner: { js: "import { createRequire as __asofCreateRequire } from 'node:module'; const require = __asofCreateRequire(import.meta.url);" },
    plugins: [{
      // Every other package stays external: native addons, packages that read their own files at run
      // time (fastify's plugins, swagger-ui's assets, pino's transports), and tfjs, loaded only to train.
      name: 'bundle-only-startup-packages',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED.some((p) => args.path === p || args.path.startsWith(`${p}/`)) ? undefined : { external: true }))
      },
    }, {
      // Paths relative to a module (migrations, templates, the example repo) must stay relative to its source file.
      name: 'source-relative-import-meta',
      setup(b) {
        b.onLoad({ filter: /\.ts$/ }, async (args) => ({
          contents: (await readFile(args.path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
          loader: 'ts',
        }))
      },
    }],
  })
  try {
    renameSync(tmp, outdir)
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true })
    if (!existsSync(outdir)) throw e // otherwise another process built the same bundle first
  }
  // Older bundles are left for runs still loading their chunks; drop those a day old.
  for (const old of readdirSync(cacheRoot)) {
    const path = join(cacheRoot, old)
    try {
      if (path !== outdir && Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { recursive: true, force: true })
    } catch { /* another run removed it first */ }
  }
}

/** The bundle's folder and entry, or the sources themselves (through tsx) when the cache cannot be written, e.g. a read-only install. */
async function entry() {
  const outdir = join(cacheRoot, fingerprint())
  try {
    if (!existsSync(outdir)) await build(outdir)
    return { outdir, url: pathToFileURL(join(outdir, 'program.js')).href }
  } catch {
    return { outdir: undefined, url: pathToFileURL(join(src, 'cli', 'program.ts')).href }
  }
}

/**
 * Where the text of this help request is kept beside the bundle, or undefined when argv is not
 * only a help request. Help depends on nothing but the sources (the bundle's fingerprint) and
 * commander's width (the terminal's columns, 80 when piped), so it is printed once through the
 * program, which loads every command module for `asof --help` (~0.6 s), and read from the file
 * after that. Only the plain forms are kept: `asof [COMMAND…] --help|-h` and `asof help [COMMAND…]`.
 */
function helpFile(outdir, args) {
  const words = args.filter((a) => a !== '--help' && a !== '-h')
  const asked = words.length < args.length || words[0] === 'help'
  if (!asked || words.some((w) => w.startsWith('-'))) return undefined
  const width = process.stdout.isTTY ? process.stdout.columns : 'pipe'
  const key = createHash('sha256').update(`${width}\0${args.join('\0')}`).digest('hex').slice(0, 16)
  return join(outdir, `help-${key}.txt`)
}

/** Runs `runCli`, keeping what it writes to stdout in `file` when it exits 0 (written aside and renamed, as the bundle). */
async function runAndKeepHelp(runCli, file) {
  const chunks = []
  const write = process.stdout.write
  process.stdout.write = function (chunk, ...rest) {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
    return write.call(this, chunk, ...rest)
  }
  const code = await runCli(process.argv)
  process.stdout.write = write
  if (code === 0) {
    try {
      const tmp = `${file}.tmp-${process.pid}`
      writeFileSync(tmp, chunks.join(''))
      renameSync(tmp, file)
    } catch { /* a read-only cache: help is printed through the program every time */ }
  }
  return code
}

const { outdir, url } = await entry()
const help = outdir && helpFile(outdir, process.argv.slice(2))
if (help && existsSync(help)) {
  process.stdout.write(readFileSync(help, 'utf8'))
} else {
  if (url.endsWith('.ts')) (await import('tsx/esm/api')).register()
  if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true)
  const { runCli } = await import(url)
  process.exitCode = help ? await runAndKeepHelp(runCli, help) : await runCli(process.argv)
}
