import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { contract } from '../client/index.js'
import { presentedSecret } from './auth.js'
import type { RouteModule } from './context.js'

/** The console's entry point; it is bundled from source, so `npm ci && npm start` needs no build step. */
const ENTRY = fileURLToPath(new URL('../console/main.tsx', import.meta.url))

/** The top-level segments of the console's pages (src/console/main.tsx routes them): each serves the page shell. */
const PAGES = ['registry', 'validation', 'pipelines', 'runs', 'models', 'lineage']

interface Bundle { js: string; css: string }

/**
 * Bundles the console once, on the first request that needs it, and keeps it in memory (about
 * 100 kB): a failed build is not cached, so the next request tries again and shows the error.
 */
function bundler(): () => Promise<Bundle> {
  let pending: Promise<Bundle> | undefined
  return () => {
    pending ??= build({
      entryPoints: [ENTRY], bundle: true, write: false, outdir: '/console', format: 'esm', target: 'es2022',
      minify: true, jsx: 'automatic', jsxImportSource: 'preact', legalComments: 'none', logLevel: 'silent',
    }).then((out) => {
      const file = (ext: string) => out.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? ''
      return { js: file('.js'), css: file('.css') }
    })
    pending.catch(() => { pending = undefined })
    return pending
  }
}

/**
 * Only the page itself is public (it holds no data): it asks for a key when the server wants one,
 * and reads everything else through /api/v1 with it. Scripts only from this origin.
 */
const SHELL = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>asof console</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/console-assets/console.css"></head>
<body><div id="app"></div><script type="module" src="/console-assets/console.js"></script></body></html>
`
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

/** The web console at `/` (src/console/), and the session route it reads to know what its key may do. */
export const consoleRoutes: RouteModule = (app, { keys }) => {
  const bundle = bundler()
  const shell = { config: { access: 'public' as const }, schema: { hide: true } }
  const page = async (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-cache').send(SHELL)
  app.get('/', shell, page)
  for (const segment of PAGES) {
    app.get(`/${segment}`, shell, page)
    app.get(`/${segment}/*`, shell, page)
  }
  app.get('/console-assets/console.js', shell, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send((await bundle()).js))
  app.get('/console-assets/console.css', shell, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send((await bundle()).css))

  const { session } = contract.service
  app.get(session.path, { config: { access: session.access }, schema: { summary: session.summary, tags: [...session.tags], response: { 200: session.output } } }, async (request) => {
    const secret = presentedSecret(request)
    const key = secret === undefined ? undefined : await keys.authenticate(secret)
    if (key) return { scope: key.scope, key_id: key.id, key_name: key.name, open: false }
    // Public, so that the console's first look needs no key (and logs no 401): with keys, ask for one;
    // with none, the server runs open (or refuses every route, which the console then reports).
    return (await keys.anyActive())
      ? { scope: null, key_id: null, key_name: null, open: false }
      : { scope: 'admin' as const, key_id: null, key_name: null, open: true }
  })
}
