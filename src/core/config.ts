import { resolve } from 'node:path'
import { z } from 'zod'
import { parseOrThrow } from './validate.js'
import { DEFAULT_API_PORT } from './ports.js'

/**
 * Process-level configuration, read from the environment once at start-up, validated and
 * frozen; everything below receives it explicitly. Nothing else in src/ reads process.env.
 */
const configSchema = z.object({
  /** The feature repo directory (asof.yaml and definition files). */
  repoDir: z.string(),
  /** Where embedded-mode state lives: `<repo>/.asof` unless ASOF_HOME says otherwise. */
  home: z.string(),
  /** Set: server mode, metadata and online store in PostgreSQL. Unset: embedded DuckDB. */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  api: z.object({
    host: z.string(),
    port: z.coerce.number().int().min(0).max(65535),
    /** Largest accepted request body, in bytes (413 beyond). */
    bodyLimit: z.coerce.number().int().positive(),
    /** Most entity rows in one online or inline historical request (422 beyond). */
    maxEntityRows: z.coerce.number().int().positive(),
    /**
     * Directories besides the repo whose files API requests may name as batches or entity files
     * (ASOF_DATA_ROOTS, colon separated, absolute or relative to the repo).
     */
    dataRoots: z.array(z.string().min(1)),
  }),
  /**
   * Server mode: most online values each process caches in memory (ASOF_ONLINE_CACHE_ENTRIES; 0
   * turns the cache off and every read goes to PostgreSQL).
   */
  onlineCacheEntries: z.coerce.number().int().min(0),
  /** The key the CLI sends when it talks to a running `asof serve` (ASOF_API_KEY). */
  apiKey: z.string().min(1).optional(),
  /** A running `asof serve` the CLI sends every command to (ASOF_URL, or `--url`), instead of opening the repo. */
  serverUrl: z.url({ protocol: /^https?$/ }).optional(),
})

/** About 250 MB at most: an entry of 10 features took ~150 bytes, ~250 of resident memory, outside the JavaScript heap (measured, 500k entries). */
export const DEFAULT_ONLINE_CACHE_ENTRIES = 1_000_000

export type AsofConfig = Readonly<z.output<typeof configSchema>>

export interface ConfigOverrides {
  repoDir?: string
  home?: string
  databaseUrl?: string
  logLevel?: string
  port?: number
  host?: string
  serverUrl?: string
}

export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): AsofConfig {
  const repoDir = resolve(overrides.repoDir ?? env.ASOF_REPO ?? process.cwd())
  const raw = {
    repoDir,
    home: resolve(repoDir, overrides.home ?? env.ASOF_HOME ?? '.asof'),
    databaseUrl: overrides.databaseUrl ?? (env.ASOF_DATABASE_URL || undefined),
    logLevel: overrides.logLevel ?? env.ASOF_LOG_LEVEL ?? 'warn',
    api: {
      host: overrides.host ?? env.ASOF_HOST ?? '127.0.0.1',
      port: overrides.port ?? env.ASOF_PORT ?? DEFAULT_API_PORT,
      bodyLimit: env.ASOF_BODY_LIMIT ?? 10 * 1024 * 1024,
      maxEntityRows: env.ASOF_MAX_ENTITY_ROWS ?? 10_000,
      dataRoots: (env.ASOF_DATA_ROOTS ?? '').split(':').filter(Boolean).map((p) => resolve(repoDir, p)),
    },
    onlineCacheEntries: env.ASOF_ONLINE_CACHE_ENTRIES ?? DEFAULT_ONLINE_CACHE_ENTRIES,
    apiKey: env.ASOF_API_KEY || undefined,
    serverUrl: overrides.serverUrl ?? (env.ASOF_URL || undefined),
  }
  return deepFreeze(parseOrThrow(configSchema, raw, 'configuration'))
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
}
