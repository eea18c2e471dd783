// asof's bundles, one home for both: the `asof` command (bin/asof.js) and the client SDK, the
// package's entry point (index.js). Neither has a build step to forget or stale compiled output to
// run by mistake: src/ and migrations/ are bundled by esbuild into a cache keyed by every source
// file's path, size and mtime (rebuilt in ~0.3 s when any of them changes), and the sources run
// through tsx when the cache cannot be written.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src')
/** What a bundle is built from: a change to any file here rebuilds it. */
const sourceDirs = [src, join(root, 'migrations')]

/**
 * The bundles: each one's entry source, and the packages copied into it (every other package stays
 * an import, resolved from node_modules when the bundle runs).
 *
 * The CLI bundles the pure-JavaScript packages every command loads: Node resolves, reads and (for
 * CommonJS imported from ESM) lexes each of their files — ~120 for @duckdb/node-api, ~280 opened for
 * kysely — which cost ~0.4 s of every start (measured: kysely 0.18 s, @duckdb/node-api 0.23 s, zod
 * 0.07 s). yaml (73 files) and apache-arrow (146 files, with flatbuffers) are loaded by every
 * command that opens a repo. Loading one bundle instead of ~150 files through tsx's loader hooks was
 * most of a short command's time (measured: 2.8 s → 1.2 s for `asof validate --help` under load).
 *
 * The SDK bundles no package: an application that imports apache-arrow or zod itself must get the
 * same classes back from asof (a `Table` that is `instanceof` its `Table`), and it starts once.
 */
const BUNDLES = {
  cli: { entry: join(src, 'cli', 'program.ts'), packages: ['kysely', 'zod', '@duckdb/node-api', 'commander', 'yaml', 'apache-arrow'] },
  client: { entry: join(src, 'client', 'index.ts'), packages: [] },
}

function fingerprint(packages) {
  const hash = createHash('sha256')
  // This file holds the build's settings, and the bundled packages' code is copied in: an
  // `npm install` that changes one of them must rebuild too.
  const inputs = [fileURLToPath(import.meta.url), ...packages.map((p) => join(root, 'node_modules', p, 'package.json'))]
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

/** Builds a bundle into a private folder and renames it into place, so concurrent runs never see half of one. */
async function build({ entry, packages }, cacheRoot, outdir) {
  const { build: esbuild } = await import('esbuild')
  const { readFile } = await import('node:fs/promises')
  const tmp = `${outdir}.tmp-${process.pid}`
  await esbuild({
    entryPoints: [entry],
    outdir: tmp,
    bundle: true,
    splitting: true, // each lazily loaded module (a command, the in-process services) stays its own chunk
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
      name: 'bundle-only-listed-packages',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (packages.some((p) => args.path === p || args.path.startsWith(`${p}/`)) ? undefined : { external: true }))
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

/**
 * The named bundle (`cli` or `client`), built first when the sources changed: its folder in
 * `node_modules/.cache/asof-<name>` and the URL of its entry module; or, when the cache cannot be
 * written (a read-only install) or the build fails, the entry source's URL (`.ts`, for tsx) and no folder.
 */
export async function bundle(name) {
  const spec = BUNDLES[name]
  const cacheRoot = join(root, 'node_modules', '.cache', `asof-${name}`)
  const outdir = join(cacheRoot, fingerprint(spec.packages))
  try {
    if (!existsSync(outdir)) await build(spec, cacheRoot, outdir)
    return { outdir, url: pathToFileURL(join(outdir, `${basename(spec.entry, '.ts')}.js`)).href }
  } catch {
    return { outdir: undefined, url: pathToFileURL(spec.entry).href }
  }
}
