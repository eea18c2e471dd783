import { z } from 'zod'
import type { RegistryKind } from '../../metadata/index.js'
import { planJson, type RegistryObjectSummary, type RegistryObjectVersion } from '../../featurestore/index.js'
import type { RouteModule } from '../context.js'

/** URL segment → registry kind. */
const KINDS: Record<string, RegistryKind> = {
  entities: 'entity', sources: 'source', 'feature-views': 'feature_view', 'feature-services': 'feature_service',
}

const name = z.string().min(1).max(200)
const versionQuery = z.object({ version: z.coerce.number().int().positive().optional() }).strict()

function summary(o: RegistryObjectSummary) {
  return { kind: o.kind, name: o.name, current_version: o.currentVersion, spec_hash: o.specHash, created_at: o.createdAt, updated_at: o.updatedAt }
}

function version(v: RegistryObjectVersion) {
  return { kind: v.kind, name: v.name, version: v.version, spec: v.spec, spec_hash: v.specHash, created_at: v.createdAt }
}

/**
 * The registry: entities, sources, feature views and feature services with their immutable
 * versions, and apply (the server's feature repo directory) with a dry run that only plans.
 */
export const registryRoutes: RouteModule = (app, { asof }) => {
  const store = asof.featureStore
  for (const [segment, kind] of Object.entries(KINDS)) {
    const tags = ['registry']
    app.get(`/api/v1/${segment}`, { schema: { summary: `List ${segment} (current versions)`, tags } },
      async () => ({ [segment.replace('-', '_')]: (await store.listObjects(kind)).map(summary) }))

    app.get(`/api/v1/${segment}/:name`, {
      schema: { summary: `One of the ${segment}: its current version, or ?version=N`, tags, params: z.object({ name }), querystring: versionQuery },
    }, async (request) => version(await store.getObject(kind, request.params.name, request.query.version)))

    app.get(`/api/v1/${segment}/:name/versions`, {
      schema: { summary: `Every version of one of the ${segment}`, tags, params: z.object({ name }) },
    }, async (request) => ({ versions: (await store.listVersions(kind, request.params.name)).map(version) }))
  }

  app.post('/api/v1/apply', {
    config: { access: 'write' },
    schema: {
      summary: "Apply the server's feature repo (one transaction); dry_run only plans",
      tags: ['registry'],
      body: z.object({ dry_run: z.boolean().default(false) }).strict().nullish(),
    },
  }, async (request) => {
    if (request.body?.dry_run) return planJson(await store.plan(), false)
    const applied = await store.apply()
    asof.online.invalidatePlans() // online requests resolve against the new versions at once
    return planJson(applied, true)
  })
}
