import { isAbsolute, relative, resolve } from 'node:path'
import { Errors, AsofError } from '../core/index.js'
import { planJson, materializationReportJson, type RegistryObjectSummary, type RegistryObjectVersion, type RetrievalRequest } from '../featurestore/index.js'
import { parseResultFormat, parseSuiteRef, readSuite, type StoredSuite } from '../expectations/index.js'
import type { Asof } from '../asof.js'
import { REGISTRY_SEGMENTS, type AsofContract, type HistoricalInput } from './contract.js'
import type { HandlersOf } from './operation.js'

function summary(o: RegistryObjectSummary) {
  return { kind: o.kind, name: o.name, current_version: o.currentVersion, spec_hash: o.specHash, created_at: o.createdAt, updated_at: o.updatedAt }
}

function registryVersion(v: RegistryObjectVersion) {
  return { kind: v.kind, name: v.name, version: v.version, spec: v.spec, spec_hash: v.specHash, created_at: v.createdAt }
}

function stored(s: StoredSuite) {
  return { name: s.name, version: s.version, created_at: s.createdAt, suite: s.gx }
}

/** The same error, naming the request field at fault (the problem document's `field`). */
export function atField(error: AsofError, field: string): AsofError {
  return new AsofError(error.code, error.kind, error.message, { ...error.details, field }, { cause: error.cause })
}

/** Inline rows over the configured limit are refused the same way in process and over HTTP. */
function checkRows(asof: Asof, field: string, rows: readonly unknown[] | undefined): void {
  const max = asof.config.api.maxEntityRows
  if (rows && rows.length > max) throw atField(Errors.tooManyRows(field, rows.length, max), field)
}

/**
 * A historical input as the feature store's request. `remote`: the caller is an HTTP client, so
 * entity files must lie inside the repo and no user SQL is run.
 */
export function retrievalRequest(asof: Asof, input: HistoricalInput, remote: boolean): RetrievalRequest {
  checkRows(asof, 'body.entity_rows', input.entity_rows)
  if (input.entity_query !== undefined && remote) {
    throw atField(Errors.badInput('body.entity_query', 'the API runs no user SQL; send entity_rows or an entity_file inside the repo'), 'body.entity_query')
  }
  const entityFile = (path: string) => {
    const full = resolve(asof.config.repoDir, path)
    const rel = relative(asof.config.repoDir, full)
    if (remote && (rel.startsWith('..') || isAbsolute(rel))) {
      throw atField(Errors.badInput('body.entity_file', `must be a path inside the feature repo (a server reads entity files only inside the repo), got ${JSON.stringify(path)}`), 'body.entity_file')
    }
    return full
  }
  return {
    features: input.features, featureService: input.feature_service, fullFeatureNames: input.full_feature_names ?? false,
    timestampColumn: input.timestamp_column, filterByCreatedTimestamp: input.filter_by_created_timestamp ?? false,
    entities: input.entity_rows ? { kind: 'rows', rows: input.entity_rows }
      : input.entity_query !== undefined ? { kind: 'query', sql: input.entity_query }
        : { kind: 'file', path: entityFile(input.entity_file!) },
  }
}

/**
 * Every operation of the contract over the composed services: what `openAsof` calls in process,
 * and what the REST routes call with the request's parsed input. A missing operation is a compile error.
 */
export const handlers: HandlersOf<AsofContract, Asof> = {
  service: {
    health: async (asof) => ({ status: 'ok' as const, mode: asof.mode }),
    // In process there is no key: the caller can do everything.
    session: async () => ({ scope: 'admin' as const, key_id: null, key_name: null, open: true }),
  },
  registry: {
    plan: async (asof) => planJson(await asof.featureStore.plan(), false),
    apply: async (asof, { dry_run }) => {
      if (dry_run) return planJson(await asof.featureStore.plan(), false)
      const applied = await asof.featureStore.apply()
      asof.online.invalidatePlans() // online requests resolve against the new versions at once
      return planJson(applied, true)
    },
    list: async (asof, { kind }) => ({ [kind.replace('-', '_')]: (await asof.featureStore.listObjects(REGISTRY_SEGMENTS[kind])).map(summary) }),
    get: async (asof, { kind, name, version }) => registryVersion(await asof.featureStore.getObject(REGISTRY_SEGMENTS[kind], name, version)),
    versions: async (asof, { kind, name }) => ({ versions: (await asof.featureStore.listVersions(REGISTRY_SEGMENTS[kind], name)).map(registryVersion) }),
  },
  online: {
    get: (asof, input) => asof.online.getOnlineFeatures(input),
    push: (asof, input) => asof.online.push(input),
    materialize: async (asof, { start, end, views }) => materializationReportJson(await asof.online.materialize(start, end, views)),
    materializeIncremental: async (asof, { end, views }) => materializationReportJson(await asof.online.materializeIncremental(end, views)),
    runs: async (asof, query) => ({ runs: await asof.online.listRuns(query) }),
  },
  historical: {
    retrieve: async (asof, input) => (await asof.featureStore.historical(retrievalRequest(asof, input, false))).rows,
  },
  suites: {
    list: async (asof) => ({
      suites: (await asof.suites.list()).map((s) => ({ name: s.name, current_version: s.currentVersion, created_at: s.createdAt, updated_at: s.updatedAt })),
    }),
    get: async (asof, { name, version }) => stored(await asof.suites.get(name, version)),
    versions: async (asof, { name }) => ({ versions: (await asof.suites.versions(name)).map(stored) }),
    create: (asof, { suite }) => asof.suites.save(suite, { where: 'body' }),
    save: (asof, { name, suite }) => asof.suites.save(suite, { name, where: 'body' }),
    delete: (asof, { name }) => asof.suites.delete(name),
  },
  validation: {
    validate: async (asof, b) => {
      const suite = b.suite
        ? readSuite(b.suite, 'body.suite')
        : await (async () => { const ref = parseSuiteRef(b.suite_name!, 'body.suite_name'); return (await asof.suites.get(ref.name, ref.version)).suite })()
      checkRows(asof, 'body.records', b.records)
      const options = { resultFormat: parseResultFormat(b.result_format, 'body.result_format'), parameters: b.parameters }
      return asof.validate(suite, b.records ? { records: b.records } : { batch: b.batch! }, options)
    },
  },
  checkpoints: {
    list: async (asof) => ({ checkpoints: await asof.checkpoints.list() }),
    get: async (asof, { name }) => ({
      checkpoint: await asof.checkpoints.load(name),
      latest_result: (await asof.checkpoints.latestCheckpointResult(name)) ?? null,
    }),
    run: (asof, { name, parameters }) => asof.checkpoints.runCheckpoint(name, { parameters }),
    results: async (asof, query) => ({ results: await asof.checkpoints.results(query) }),
    result: (asof, { id }) => asof.checkpoints.result(id),
    metricHistory: async (asof, q) => ({ history: await asof.metricHistory(q) }),
  },
  pipelines: {
    list: async (asof) => ({ pipelines: asof.pipelines.list() }),
    get: async (asof, { name }) => asof.pipelines.get(name),
    run: (asof, { name, params, logical_date, cache }) => asof.pipelines.run(name, { params, logicalDate: logical_date, cache }),
    backfill: (asof, { name, from, to, rerun_succeeded, cache }) => asof.pipelines.backfill(name, { from, to, rerunSucceeded: rerun_succeeded, cache }),
    runs: async (asof, filter) => ({ runs: await asof.pipelines.runs(filter) }),
    show: (asof, { id }) => asof.pipelines.show(id),
    resume: (asof, { id }) => asof.pipelines.resume(id),
  },
  models: {
    list: async (asof) => ({ models: await asof.models.listModels() }),
    get: async (asof, { name }) => ({ model: await asof.models.getModel(name), versions: await asof.models.search({ name }) }),
    version: (asof, { name, version }) => asof.models.getVersion(name, version),
    search: async (asof, { tags, ...filter }) => ({ versions: await asof.models.search({ ...filter, tags: tags as Record<string, string> | undefined }) }),
    alias: (asof, { name, alias }) => asof.models.resolve({ name, alias }),
    setAlias: (asof, { name, alias, version }) => asof.models.setAlias(name, alias, version),
    deleteAlias: (asof, { name, alias }) => asof.models.deleteAlias(name, alias),
    setTag: (asof, { name, key, value, version }) => asof.models.setTag(name, version, key, value),
    deleteTag: (asof, { name, key, version }) => asof.models.deleteTag(name, version, key),
    webhooks: async (asof) => ({ webhooks: await asof.models.listWebhooks() }),
    addWebhook: (asof, input) => asof.models.addWebhook(input),
    deleteWebhook: (asof, { id }) => asof.models.deleteWebhook(id),
  },
  keys: {
    create: (asof, { scope, name }) => asof.keys.create(scope, name),
    list: async (asof) => ({ keys: await asof.keys.list() }),
    revoke: (asof, { id }) => asof.keys.revoke(id),
  },
}
