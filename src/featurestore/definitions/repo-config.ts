import { z } from 'zod'
import { identifier } from './common.js'

/** `asof.yaml`: the project name and storage settings (embedded unless ASOF_DATABASE_URL is set). */
export const repoConfigSchema = z.strictObject({
  project: identifier,
  storage: z.strictObject({
    /** Where `kind: postgres` sources are read in embedded mode (server mode reads them from its own database). */
    postgres_url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').optional(),
  }).default({}),
})

export type RepoConfig = z.output<typeof repoConfigSchema>
