import { z } from 'zod'
import {
  getOnlineFeaturesRequestSchema, pushRequestSchema,
  type MaterializationReportJson, type OnlineFeaturesResponse, type OnlineService, type PlanJson, type PushResult, type RegistryObjectVersion,
} from '../featurestore/index.js'
import { batchSpecSchema, type CheckpointConfig, type CheckpointRun, type LatestCheckpointResult, type StoredResult, type ValidationResult } from '../expectations/index.js'
import { jsonValueSchema, WEBHOOK_EVENTS, type JsonValue, type ModelVersion, type PipelineSpec, type RegisteredModel, type RunSummary, type RunView, type Webhook } from '../pipelines/index.js'
import { normalizeTimestamp } from '../core/index.js'
import { KEY_SCOPES } from '../keys/index.js'
import type { MetricHistoryPoint } from '../asof.js'
import { documented, op, type Contract } from './operation.js'

/**
 * asof's operations, one contract for the SDK (`AsofClient`), its two implementations
 * (`openAsof`, `connectAsof`), the REST routes and the OpenAPI document. Wire names stay snake_case
 * as the REST API always had them.
 */

const name = z.string().min(1).max(200)
/**
 * A timestamp parameter: ISO-8601, converted to UTC (`2024-01-01`, `2024-01-01T12:00:00+02:00`).
 * Anything else is refused here, naming the parameter, before it can reach a database as a timestamp.
 */
const isoTime = z.string().min(1).max(64).meta({ format: 'date-time' }).transform((text, ctx) => {
  try {
    return normalizeTimestamp(text)
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected an ISO-8601 timestamp like 2024-01-01T00:00:00Z, got ${JSON.stringify(text.slice(0, 64))}` })
    return z.NEVER
  }
})
const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback)
const version = z.coerce.number().int().positive()

/** A query parameter holding a JSON object (given as an object in process, as its JSON text over HTTP). */
const jsonObject = z.union([
  z.record(z.string(), z.unknown()),
  z.string().max(5000).transform((text, ctx) => {
    try {
      const value: unknown = JSON.parse(text)
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
    } catch { /* reported below */ }
    ctx.addIssue({ code: 'custom', message: 'expected a JSON object, like {"column":"conv_rate"}' })
    return z.NEVER
  }),
])

/** URL segment → registry kind. */
export const REGISTRY_SEGMENTS = {
  entities: 'entity', sources: 'source', 'feature-views': 'feature_view', 'feature-services': 'feature_service',
} as const
export type RegistrySegment = keyof typeof REGISTRY_SEGMENTS
const registrySegment = z.enum(Object.keys(REGISTRY_SEGMENTS) as [RegistrySegment, ...RegistrySegment[]])

const registrySummary = z.object({
  kind: z.string(), name: z.string(), current_version: z.number(), spec_hash: z.string(), created_at: z.string(), updated_at: z.string(),
})
const registryVersion = documented<{ kind: RegistryObjectVersion['kind']; name: string; version: number; spec: unknown; spec_hash: string; created_at: string }>(
  'one immutable version of a registry object: {kind, name, version, spec, spec_hash, created_at}')

export const historicalInput = z.object({
  features: z.array(z.string().min(1)).min(1).optional(),
  feature_service: z.string().min(1).optional(),
  full_feature_names: z.boolean().default(false),
  /** The entity rows' event-time column (default `event_timestamp`). */
  timestamp_column: z.string().min(1).optional(),
  filter_by_created_timestamp: z.boolean().default(false),
  /** Entity rows inline: objects with the join keys and the event timestamp. */
  entity_rows: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
  /** Or a .csv/.parquet/.json file of entity rows, relative to the feature repo (a server reads only inside it). */
  entity_file: z.string().min(1).optional(),
  /** Or a SELECT on the offline engine (over the API, only with a key of scope sql). */
  entity_query: z.string().min(1).optional(),
}).strict()
  .refine((b) => (b.features === undefined) !== (b.feature_service === undefined), { message: 'give exactly one of features or feature_service', path: ['features'] })
  .refine((b) => [b.entity_rows, b.entity_file, b.entity_query].filter((e) => e !== undefined).length === 1, { message: 'give exactly one of entity_rows, entity_file or entity_query', path: ['entity_rows'] })
export type HistoricalInput = z.input<typeof historicalInput>

/** For the OpenAPI document and the client's types: the hot path writes this JSON itself. */
const onlineResponse = z.object({
  metadata: z.object({ feature_names: z.array(z.string()) }),
  results: z.array(z.object({
    values: z.array(z.unknown()),
    statuses: z.array(z.enum(['PRESENT', 'NOT_FOUND', 'OUTSIDE_MAX_AGE'])),
    event_timestamps: z.array(z.string()),
  })),
}) as unknown as z.ZodType<OnlineFeaturesResponse>
/** The hot path's answer: the JSON bytes the online service wrote, typed as the response they are. */
export type OnlineFeaturesJson = OnlineFeaturesResponse

const materializeViews = z.array(z.string().min(1).max(200)).min(1).optional()
const materializationReport = documented<MaterializationReportJson>('per view: version, run id, interval, rows read and written, status, validation result')

/** A GX suite as JSON (0.x or 1.x); the suite store checks it and names the field at fault. */
const gxSuite = z.record(z.string(), z.unknown())
const storedSuite = documented<{ name: string; version: number; created_at: string; suite: unknown }>('a stored suite version as GX 1.x JSON')
const savedSuite = z.object({ name: z.string(), version: z.number(), created: z.boolean() })

const validateInput = z.object({
  /** A GX 0.x or 1.x suite inline… */
  suite: z.record(z.string(), z.unknown()).optional(),
  /** …or a stored one: `name` or `name@N`. */
  suite_name: z.string().min(1).max(210).optional(),
  /** Inline records (objects; at most ASOF_MAX_ENTITY_ROWS)… */
  records: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
  /** …or a named batch: a file, table, query, feature view at a version, or dataset. */
  batch: batchSpecSchema.optional(),
  result_format: z.unknown().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
}).strict()
  .refine((b) => (b.suite === undefined) !== (b.suite_name === undefined), { message: 'give exactly one of suite or suite_name', path: ['suite'] })
  .refine((b) => (b.records === undefined) !== (b.batch === undefined), { message: 'give exactly one of records or batch', path: ['records'] })

const runSummary = documented<RunSummary>('a run with its task instances')
const backfillResult = documented<{ runs: RunSummary[]; skipped: string[] }>('the runs of a backfill, and the dates skipped as succeeded before')

const keyInfo = z.object({
  id: z.string(), name: z.string(), scope: z.enum(KEY_SCOPES), created_at: z.string(), revoked_at: z.string().nullable(),
})
const none = z.void()

export const contract = {
  service: {
    health: op({
      method: 'GET', path: '/health', access: 'public', tags: ['service'], summary: 'Liveness: answers without a key',
      input: z.object({}).strict(), output: z.object({ status: z.literal('ok'), mode: z.enum(['embedded', 'server']) }),
    }),
    /** The console asks which actions to show; over HTTP the route reads the caller's key. */
    session: op({
      method: 'GET', path: '/api/v1/session', access: 'public', tags: ['service'], route: 'custom',
      summary: "The caller's key: its scope, id and name; scope null when no valid key was sent and keys exist, admin when none exist (open)",
      input: z.object({}).strict(),
      output: z.object({ scope: z.enum(KEY_SCOPES).nullable(), key_id: z.string().nullable(), key_name: z.string().nullable(), open: z.boolean() }),
    }),
  },
  registry: {
    plan: op({
      method: 'GET', path: '/api/v1/plan', access: 'read', tags: ['registry'],
      summary: "What applying the repo would change: per object create / change / unchanged / delete, and the version each change creates",
      input: z.object({}).strict(), output: documented<PlanJson>('the plan: project, entries, applied'),
    }),
    apply: op({
      method: 'POST', path: '/api/v1/apply', access: 'write', tags: ['registry'],
      summary: "Apply the repo (one transaction); dry_run only plans",
      input: z.object({ dry_run: z.boolean().default(false) }).strict(), output: documented<PlanJson>('the plan applied (or, dry_run, to apply)'),
    }),
    list: op({
      method: 'GET', path: '/api/v1/:kind', access: 'read', tags: ['registry'], summary: 'List registry objects of a kind (current versions)',
      input: z.object({ kind: registrySegment }).strict(),
      output: z.record(z.string(), z.array(registrySummary)),
    }),
    get: op({
      method: 'GET', path: '/api/v1/:kind/:name', access: 'read', tags: ['registry'], summary: 'One registry object: its current version, or ?version=N',
      input: z.object({ kind: registrySegment, name, version: version.optional() }).strict(), output: registryVersion,
    }),
    versions: op({
      method: 'GET', path: '/api/v1/:kind/:name/versions', access: 'read', tags: ['registry'], summary: 'Every version of a registry object',
      input: z.object({ kind: registrySegment, name }).strict(), output: z.object({ versions: z.array(registryVersion) }),
    }),
  },
  online: {
    get: op({
      method: 'POST', path: '/get-online-features', access: 'read', tags: ['features'], route: 'custom',
      summary: "Latest feature values for entities (Feast's /get-online-features)",
      input: getOnlineFeaturesRequestSchema, output: onlineResponse,
    }),
    push: op({
      method: 'POST', path: '/push', access: 'write', tags: ['features'], route: 'custom',
      summary: "Rows of a source to the online store, its offline table, or both (Feast's /push)",
      input: pushRequestSchema, output: documented<PushResult>('rows pushed, online view versions written, offline rows appended'),
    }),
    materialize: op({
      method: 'POST', path: '/api/v1/materialize', access: 'write', tags: ['materialization'],
      summary: 'Write the latest row per entity with start ≤ event time ≤ end to the online store (gated by checkpoints)',
      input: z.object({ start: isoTime, end: isoTime, views: materializeViews }).strict(), output: materializationReport,
    }),
    materializeIncremental: op({
      method: 'POST', path: '/api/v1/materialize-incremental', access: 'write', tags: ['materialization'], summary: "From each view's watermark up to end",
      input: z.object({ end: isoTime, views: materializeViews }).strict(), output: materializationReport,
    }),
    runs: op({
      method: 'GET', path: '/api/v1/materialization-runs', access: 'read', tags: ['materialization'], summary: 'Materialization runs, newest first',
      input: z.object({ view: name.optional(), limit: limit(1000, 100) }).strict(),
      output: z.object({ runs: z.array(documented<Awaited<ReturnType<OnlineService['listRuns']>>[number]>('a materialization run')) }),
    }),
  },
  historical: {
    /** Over HTTP an Arrow IPC stream; the client's `historical` methods read it as record batches. */
    retrieve: op({
      method: 'POST', path: '/api/v1/historical-features', access: 'read', tags: ['features'], route: 'custom',
      summary: 'Point-in-time correct feature retrieval (training data): JSON records, or an Arrow IPC stream (Accept: application/vnd.apache.arrow.stream)',
      input: historicalInput, output: z.array(z.record(z.string(), z.unknown())),
    }),
  },
  suites: {
    list: op({
      method: 'GET', path: '/api/v1/suites', access: 'read', tags: ['suites'], summary: 'Stored suites (current versions)',
      input: z.object({}).strict(),
      output: z.object({ suites: z.array(z.object({ name: z.string(), current_version: z.number(), created_at: z.string(), updated_at: z.string() })) }),
    }),
    get: op({
      method: 'GET', path: '/api/v1/suites/:name', access: 'read', tags: ['suites'], summary: 'A suite as GX 1.x JSON: its current version, or ?version=N',
      input: z.object({ name, version: version.optional() }).strict(), output: storedSuite,
    }),
    versions: op({
      method: 'GET', path: '/api/v1/suites/:name/versions', access: 'read', tags: ['suites'], summary: 'Every version of a suite',
      input: z.object({ name }).strict(), output: z.object({ versions: z.array(storedSuite) }),
    }),
    create: op({
      method: 'POST', path: '/api/v1/suites', access: 'write', tags: ['suites'], summary: 'Create a suite (GX 0.x or 1.x JSON, named by its own name)',
      input: z.object({ suite: gxSuite }).strict(), body: 'suite', output: savedSuite, status: (saved) => (saved.created ? 201 : 200),
    }),
    save: op({
      method: 'PUT', path: '/api/v1/suites/:name', access: 'write', tags: ['suites'], summary: 'Save a suite under this name; a changed suite becomes a new version',
      input: z.object({ name, suite: gxSuite }).strict(), body: 'suite', output: savedSuite,
    }),
    delete: op({
      method: 'DELETE', path: '/api/v1/suites/:name', access: 'write', tags: ['suites'], summary: 'Delete a suite and its versions',
      input: z.object({ name }).strict(), output: none, status: 204,
    }),
  },
  validation: {
    validate: op({
      method: 'POST', path: '/api/v1/validate', access: 'write', tags: ['suites'], summary: 'Validate a batch against a suite (GX result shape; nothing stored)',
      input: validateInput, output: documented<ValidationResult>('a GX validation result'),
    }),
  },
  checkpoints: {
    list: op({
      method: 'GET', path: '/api/v1/checkpoints', access: 'read', tags: ['checkpoints'], summary: 'Checkpoints defined in the repo',
      input: z.object({}).strict(), output: z.object({ checkpoints: z.array(documented<CheckpointConfig>('a checkpoint')) }),
    }),
    get: op({
      method: 'GET', path: '/api/v1/checkpoints/:name', access: 'read', tags: ['checkpoints'], summary: 'One checkpoint and its latest result',
      input: z.object({ name }).strict(),
      output: z.object({ checkpoint: documented<CheckpointConfig>('the checkpoint'), latest_result: documented<LatestCheckpointResult | null>('its newest stored run') }),
    }),
    run: op({
      method: 'POST', path: '/api/v1/checkpoints/:name/runs', access: 'write', tags: ['checkpoints'], status: 201,
      summary: 'Run a checkpoint and its actions; success false when a validation failed',
      input: z.object({ name, parameters: z.record(z.string(), z.unknown()).optional() }).strict(), output: documented<CheckpointRun>('the run'),
    }),
    results: op({
      method: 'GET', path: '/api/v1/results', access: 'read', tags: ['checkpoints'], summary: 'Stored validation results, newest first',
      input: z.object({ checkpoint: name.optional(), limit: limit(1000, 100) }).strict(), output: z.object({ results: z.array(documented<StoredResult>('a stored result')) }),
    }),
    result: op({
      method: 'GET', path: '/api/v1/results/:id', access: 'read', tags: ['checkpoints'], summary: 'One stored validation result (GX shape)',
      input: z.object({ id: name }).strict(), output: documented<StoredResult>('a stored result'),
    }),
    metricHistory: op({
      method: 'GET', path: '/api/v1/metric-history', access: 'read', tags: ['checkpoints'],
      summary: 'Recorded values of one metric, newest first (for a batch, a checkpoint, metric args)',
      input: z.object({
        metric: z.string().min(1).max(200),
        batch: z.string().min(1).max(1000).optional(),
        checkpoint: name.optional(),
        /** The metric's arguments as JSON, e.g. {"column":"conv_rate"}. */
        args: jsonObject.optional(),
        since: isoTime.optional(),
        limit: limit(10000, 100),
      }).strict(),
      output: z.object({ history: z.array(documented<MetricHistoryPoint>('a recorded value')) }),
    }),
  },
  pipelines: {
    list: op({
      method: 'GET', path: '/api/v1/pipelines', access: 'read', tags: ['pipelines'], summary: 'Pipelines defined in the repo',
      input: z.object({}).strict(), output: z.object({ pipelines: z.array(documented<PipelineSpec>('a pipeline definition')) }),
    }),
    get: op({
      method: 'GET', path: '/api/v1/pipelines/:name', access: 'read', tags: ['pipelines'], summary: 'One pipeline definition',
      input: z.object({ name }).strict(), output: documented<PipelineSpec>('a pipeline definition'),
    }),
    /** Over HTTP answers 202 at once (or, `wait`, when the run ends); the client waits for the end either way. */
    run: op({
      method: 'POST', path: '/api/v1/pipelines/:name/runs', access: 'write', tags: ['pipelines'], route: 'custom',
      summary: "Trigger a run (202 with the run to poll; ?wait=true answers when it ends); 409 while that logical date's run is queued or running",
      input: z.object({
        name,
        params: z.record(z.string(), jsonValueSchema as z.ZodType<JsonValue>).optional(),
        logical_date: isoTime.optional(),
        cache: z.boolean().optional(),
      }).strict(),
      output: runSummary,
    }),
    backfill: op({
      method: 'POST', path: '/api/v1/pipelines/:name/backfill', access: 'write', tags: ['pipelines'], route: 'custom',
      summary: 'Run every scheduled logical date in [from, to], one at a time (202 with the queued runs to poll; ?wait=true answers when all end)',
      input: z.object({ name, from: isoTime, to: isoTime, rerun_succeeded: z.boolean().default(false), cache: z.boolean().optional() }).strict(),
      output: backfillResult,
    }),
    runs: op({
      method: 'GET', path: '/api/v1/runs', access: 'read', tags: ['pipelines'], summary: 'Pipeline runs, newest logical date first',
      input: z.object({ pipeline: name.optional(), limit: limit(1000, 100) }).strict(), output: z.object({ runs: z.array(documented<RunView>('a run')) }),
    }),
    show: op({
      method: 'GET', path: '/api/v1/runs/:id', access: 'read', tags: ['pipelines'], summary: 'A run with its task instances',
      input: z.object({ id: name }).strict(), output: runSummary,
    }),
    resume: op({
      method: 'POST', path: '/api/v1/runs/:id/resume', access: 'write', tags: ['pipelines'], route: 'custom',
      summary: 'Finish a run interrupted by a crash (202 with the run to poll; ?wait=true answers when it ends)',
      input: z.object({ id: name }).strict(), output: runSummary,
    }),
  },
  models: {
    list: op({
      method: 'GET', path: '/api/v1/models', access: 'read', tags: ['models'], summary: 'Registered models',
      input: z.object({}).strict(), output: z.object({ models: z.array(documented<RegisteredModel>('a registered model')) }),
    }),
    get: op({
      method: 'GET', path: '/api/v1/models/:name', access: 'read', tags: ['models'], summary: 'A registered model with its versions',
      input: z.object({ name }).strict(),
      output: z.object({ model: documented<RegisteredModel>('the model'), versions: z.array(documented<ModelVersion>('a version')) }),
    }),
    version: op({
      method: 'GET', path: '/api/v1/models/:name/versions/:version', access: 'read', tags: ['models'], summary: 'One model version (metrics, signature, lineage)',
      input: z.object({ name, version }).strict(), output: documented<ModelVersion>('a model version'),
    }),
    search: op({
      method: 'GET', path: '/api/v1/model-versions', access: 'read', tags: ['models'], summary: 'Search model versions by name, alias, tags and creation time',
      input: z.object({
        name: name.optional(), alias: name.optional(), since: isoTime.optional(), until: isoTime.optional(),
        /** Tags every version must have, as JSON, e.g. {"team":"pricing"}. */
        tags: jsonObject.optional(),
        limit: limit(1000, 100),
      }).strict(),
      output: z.object({ versions: z.array(documented<ModelVersion>('a model version')) }),
    }),
    alias: op({
      method: 'GET', path: '/api/v1/models/:name/aliases/:alias', access: 'read', tags: ['models'], summary: 'The version an alias points at',
      input: z.object({ name, alias: name }).strict(), output: documented<ModelVersion>('a model version'),
    }),
    setAlias: op({
      method: 'PUT', path: '/api/v1/models/:name/aliases/:alias', access: 'write', tags: ['models'], summary: 'Point an alias (e.g. champion) at a version',
      input: z.object({ name, alias: name, version }).strict(), output: documented<ModelVersion>('the version it points at now'),
    }),
    deleteAlias: op({
      method: 'DELETE', path: '/api/v1/models/:name/aliases/:alias', access: 'write', tags: ['models'], summary: 'Remove an alias',
      input: z.object({ name, alias: name }).strict(), output: none, status: 204,
    }),
    setTag: op({
      method: 'PUT', path: '/api/v1/models/:name/tags/:key', access: 'write', tags: ['models'], summary: 'Set a tag on a model, or on one version',
      input: z.object({ name, key: name, value: z.string().max(5000), version: version.optional() }).strict(), output: none, status: 204,
    }),
    deleteTag: op({
      method: 'DELETE', path: '/api/v1/models/:name/tags/:key', access: 'write', tags: ['models'], summary: 'Delete a tag',
      input: z.object({ name, key: name, version: version.optional() }).strict(), output: none, status: 204,
    }),
    // Webhooks make the server call arbitrary URLs, so managing them needs admin.
    webhooks: op({
      method: 'GET', path: '/api/v1/model-webhooks', access: 'admin', tags: ['models'], summary: 'Registry webhooks',
      input: z.object({}).strict(), output: z.object({ webhooks: z.array(documented<Webhook>('a webhook (never its secret)')) }),
    }),
    addWebhook: op({
      method: 'POST', path: '/api/v1/model-webhooks', access: 'admin', tags: ['models'], status: 201,
      summary: 'Add a webhook (POSTs JSON on registry events, signed when a secret is given)',
      input: z.object({
        url: z.url({ protocol: /^https?$/ }), events: z.array(z.enum(WEBHOOK_EVENTS)).min(1),
        model_name: name.optional(), secret: z.string().min(1).max(500).optional(),
      }).strict(),
      output: documented<Webhook>('the webhook'),
    }),
    deleteWebhook: op({
      method: 'DELETE', path: '/api/v1/model-webhooks/:id', access: 'admin', tags: ['models'], summary: 'Remove a webhook',
      input: z.object({ id: name }).strict(), output: none, status: 204,
    }),
  },
  keys: {
    create: op({
      method: 'POST', path: '/api/v1/keys', access: 'admin', tags: ['keys'], summary: 'Create an API key; the secret is shown once', status: 201,
      input: z.object({ scope: z.enum(KEY_SCOPES), name: z.string().min(1).max(200).optional() }).strict(), output: keyInfo.extend({ secret: z.string() }),
    }),
    list: op({
      method: 'GET', path: '/api/v1/keys', access: 'admin', tags: ['keys'], summary: 'List API keys (never their secrets)',
      input: z.object({}).strict(), output: z.object({ keys: z.array(keyInfo) }),
    }),
    revoke: op({
      method: 'DELETE', path: '/api/v1/keys/:id', access: 'admin', tags: ['keys'], summary: 'Revoke an API key',
      input: z.object({ id: name }).strict(), output: none, status: 204,
    }),
  },
} as const satisfies Contract

export type AsofContract = typeof contract
