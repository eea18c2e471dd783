import { createHmac } from 'node:crypto'
import { z } from 'zod'
import { Errors, newId, parseOrThrow, type Logger } from '../../core/index.js'
import { modelsRepo, type MetadataStore, type ModelVersionRow, type ModelWebhookRow, type VersionFilter } from '../../metadata/index.js'

/** A column of a model's input or output, with MLflow's column-spec type names. */
export const signatureColumnSchema = z.object({
  name: z.string(),
  type: z.enum(['double', 'long', 'string', 'boolean']),
})
export type SignatureColumn = z.infer<typeof signatureColumnSchema>

/** What the model takes and returns (MLflow's `ModelSignature`, column-based). */
export interface ModelSignature {
  inputs: SignatureColumn[]
  outputs: SignatureColumn[]
}

/** Metrics on the test split, overall and per value of a categorical slice column. */
export interface ModelMetrics {
  overall: Record<string, number>
  slices?: { column: string; values: Record<string, Record<string, number>> }
  /** A multi-class model's figures per class and its confusion matrix (rows: true class, columns: predicted). */
  classes?: ClassMetrics
}

export interface ClassMetrics {
  labels: string[]
  per_class: Record<string, { precision: number; recall: number; f1: number; support: number }>
  confusion_matrix: number[][]
}

/** Where a version came from: enough to rebuild its training dataset exactly. */
export interface ModelLineage {
  feature_views: { name: string; version: number }[]
  /** The feature service version the dataset was retrieved through, if it was. */
  feature_service?: { name: string; version: number }
  feature_refs: string[]
  dataset: { uri: string; sha256: string; rows: number }
  checkpoint_result_ids: string[]
  pipeline: string | null
  pipeline_run: string | null
  params: Record<string, unknown>
}

/** Per-feature statistics of the training data and what the model learned, kept per version. */
export interface TrainingMetadata {
  rows: { total: number; train: number; test: number }
  categorical: Record<string, { distinct: number }>
  numeric: Record<string, { mean: number | null; min: number | null; max: number | null; stddev: number | null }>
  /** Per text input: its fitted vocabulary's size and the words per row. */
  text?: Record<string, { vocabulary: number; mean: number | null; min: number | null; max: number | null; stddev: number | null }>
  /** The linear model's weight per encoded input, when the model is linear. */
  weights?: Record<string, number>
  /** Drop in the primary metric when one input column is shuffled (test split). */
  permutation_importance: Record<string, number>
  backend: string
  epochs: number
  /** The epoch a resumed training continued from (0 when it started fresh). */
  resumed_from_epoch: number
  /** When a hyperparameter search chose the model: every trial's params, state and validation metrics. */
  search?: {
    method: string
    metric: string
    best_trial: number
    best_params: Record<string, unknown>
    best_score: number | null
    trials: { trial: number; params: Record<string, unknown>; state: string; epochs: number; metrics: Record<string, number>; score: number | null }[]
  }
}

export interface NewModelVersion {
  name: string
  runId?: string
  description?: string
  artifactUri: string
  artifactHash: string
  metrics: ModelMetrics
  signature: ModelSignature
  lineage: ModelLineage
  training: TrainingMetadata
  tags?: Record<string, string>
}

/** A registered version as the registry reports it (CLI, API). */
export interface ModelVersion {
  name: string
  version: number
  run_id: string | null
  description: string | null
  artifact_uri: string
  artifact_hash: string
  aliases: string[]
  tags: Record<string, string>
  metrics: ModelMetrics
  signature: ModelSignature
  lineage: ModelLineage
  training: TrainingMetadata
  created_at: string
}

export interface RegisteredModel {
  name: string
  description: string | null
  latest_version: number
  aliases: Record<string, number>
  tags: Record<string, string>
  created_at: string
  updated_at: string
}

/** The events a webhook can listen to (MLflow's names). */
export const WEBHOOK_EVENTS = [
  'registered_model.created', 'model_version.created',
  'model_version_alias.created', 'model_version_alias.deleted',
  'model_version_tag.set', 'model_version_tag.deleted',
] as const
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]

export const newWebhookSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1),
  model_name: z.string().min(1).optional(),
  secret: z.string().min(1).optional(),
})
export type NewWebhook = z.input<typeof newWebhookSchema>

/** A webhook as listed: the secret is never shown again. */
export interface Webhook {
  id: string
  url: string
  events: WebhookEvent[]
  model_name: string | null
  signed: boolean
  created_at: string
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
const ALIAS = /^[A-Za-z_][A-Za-z0-9_-]*$/

/** `name`, `name@3` (a version) or `name#champion` (an alias). */
export interface ModelRef {
  name: string
  version?: number
  alias?: string
}

export function parseModelRef(ref: string, where = 'model'): ModelRef {
  const m = /^([^@#]+)(?:@(\d+)|#(.+))?$/.exec(ref)
  if (!m || !NAME.test(m[1]!)) throw Errors.badInput(where, `expected NAME, NAME@VERSION or NAME#ALIAS, got ${JSON.stringify(ref)}`)
  if (m[3] !== undefined && !ALIAS.test(m[3])) throw Errors.badInput(where, `alias ${JSON.stringify(m[3])} must be letters, digits, _ or -`)
  return { name: m[1]!, version: m[2] === undefined ? undefined : Number(m[2]), alias: m[3] }
}

export interface ModelRegistryOptions {
  log: Logger
  now?: () => Date
  /** How long a webhook delivery may take before it is given up (ms). */
  webhookTimeoutMs?: number
}

/**
 * The model registry, shaped like MLflow's: registered models, integer versions (1, 2, …),
 * mutable aliases, tags, search by alias, tag and time, and webhooks (POST JSON) on new
 * versions, alias moves and tag changes. Registration is idempotent per pipeline run.
 */
export class ModelRegistry {
  private readonly now: () => Date
  constructor(private readonly metadata: MetadataStore, private readonly options: ModelRegistryOptions) {
    this.now = options.now ?? (() => new Date())
  }

  /**
   * Registers a new version (creating the model on first use). When `runId` already produced a
   * version of this model, that version is returned with `created: false` and nothing fires.
   */
  async register(input: NewModelVersion): Promise<{ version: ModelVersion; created: boolean }> {
    assertName(input.name)
    const now = this.now().toISOString()
    const outcome = await this.metadata.transaction(async (tx) => {
      if (input.runId) {
        const existing = await modelsRepo.findVersionByRun(tx, input.name, input.runId)
        if (existing) return { version: Number(existing.version), created: false, modelCreated: false }
      }
      const model = await modelsRepo.getRegisteredModel(tx, input.name)
      const version = model ? Number(model.latest_version) + 1 : 1
      if (model) await modelsRepo.setLatestVersion(tx, input.name, version, now)
      else await modelsRepo.insertRegisteredModel(tx, { name: input.name, description: null, latest_version: version, created_at: now, updated_at: now })
      await modelsRepo.insertModelVersion(tx, {
        name: input.name, version, run_id: input.runId ?? null, description: input.description ?? null,
        artifact_uri: input.artifactUri, artifact_hash: input.artifactHash,
        metrics: JSON.stringify(input.metrics), signature: JSON.stringify(input.signature),
        lineage: JSON.stringify(input.lineage), training: JSON.stringify(input.training), created_at: now,
      })
      for (const [k, v] of Object.entries(input.tags ?? {})) await modelsRepo.setTag(tx, input.name, version, k, v)
      return { version, created: true, modelCreated: !model }
    })
    const registered = await this.getVersion(input.name, outcome.version)
    if (outcome.modelCreated) await this.notify('registered_model.created', input.name, { name: input.name })
    if (outcome.created) {
      await this.notify('model_version.created', input.name, {
        name: input.name, version: String(registered.version), source: registered.artifact_uri,
        run_id: registered.run_id, tags: registered.tags, description: registered.description,
      })
    }
    return { version: registered, created: outcome.created }
  }

  async listModels(): Promise<RegisteredModel[]> {
    const rows = await modelsRepo.listRegisteredModels(this.metadata.db)
    return Promise.all(rows.map(async (r) => ({
      name: r.name,
      description: r.description,
      latest_version: Number(r.latest_version),
      aliases: Object.fromEntries((await modelsRepo.listAliases(this.metadata.db, r.name)).map((a) => [a.alias, Number(a.version)])),
      tags: toRecord(await modelsRepo.listModelTags(this.metadata.db, r.name)),
      created_at: r.created_at,
      updated_at: r.updated_at,
    })))
  }

  async getModel(name: string): Promise<RegisteredModel> {
    const model = (await this.listModels()).find((m) => m.name === name)
    if (!model) throw Errors.notFound('model', name, (await this.listModels()).map((m) => m.name))
    return model
  }

  async getVersion(name: string, version: number): Promise<ModelVersion> {
    const row = await modelsRepo.getModelVersion(this.metadata.db, name, version)
    if (!row) {
      await this.getModel(name)
      throw Errors.notFound(`version of model ${name}`, String(version), (await this.search({ name })).map((v) => String(v.version)))
    }
    return this.toVersion(row)
  }

  /** The version a reference names: `name` is the latest version, `name#alias` follows the alias. */
  async resolve(ref: string | ModelRef): Promise<ModelVersion> {
    const r = typeof ref === 'string' ? parseModelRef(ref) : ref
    if (r.version !== undefined) return this.getVersion(r.name, r.version)
    if (r.alias !== undefined) {
      const alias = await modelsRepo.getAlias(this.metadata.db, r.name, r.alias)
      if (!alias) throw Errors.notFound(`alias of model ${r.name}`, r.alias, Object.keys((await this.getModel(r.name)).aliases))
      return this.getVersion(r.name, Number(alias.version))
    }
    return this.getVersion(r.name, (await this.getModel(r.name)).latest_version)
  }

  /** The version `alias` points at, or undefined when the model or the alias does not exist. */
  async findByAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    const row = await modelsRepo.getAlias(this.metadata.db, name, alias)
    return row ? this.getVersion(name, Number(row.version)) : undefined
  }

  /** Versions matching every filter (name, alias, tags, created since/until), newest first. */
  async search(filter: VersionFilter = {}): Promise<ModelVersion[]> {
    const rows = await modelsRepo.searchVersions(this.metadata.db, filter)
    return Promise.all(rows.map((r) => this.toVersion(r)))
  }

  /** Points `alias` at `version`, moving it from wherever it pointed (MLflow's set_registered_model_alias). */
  async setAlias(name: string, alias: string, version: number): Promise<ModelVersion> {
    if (!ALIAS.test(alias)) throw Errors.badInput('alias', `${JSON.stringify(alias)} must be letters, digits, _ or -, not starting with a digit`)
    await this.getVersion(name, version)
    await this.metadata.transaction((tx) => modelsRepo.setAlias(tx, name, alias, version, this.now().toISOString()))
    await this.notify('model_version_alias.created', name, { name, alias, version: String(version) })
    return this.getVersion(name, version)
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    if (!(await modelsRepo.deleteAlias(this.metadata.db, name, alias))) {
      throw Errors.notFound(`alias of model ${name}`, alias, Object.keys((await this.getModel(name)).aliases))
    }
    await this.notify('model_version_alias.deleted', name, { name, alias })
  }

  /** Sets a tag on the model (`version` undefined) or on one version. */
  async setTag(name: string, version: number | undefined, key: string, value: string): Promise<void> {
    if (version === undefined) await this.getModel(name)
    else await this.getVersion(name, version)
    if (!key) throw Errors.badInput('tag', 'the key must not be empty')
    await this.metadata.transaction((tx) => modelsRepo.setTag(tx, name, version, key, value))
    if (version !== undefined) await this.notify('model_version_tag.set', name, { name, version: String(version), key, value })
  }

  async deleteTag(name: string, version: number | undefined, key: string): Promise<void> {
    if (!(await modelsRepo.deleteTag(this.metadata.db, name, version, key))) {
      throw Errors.notFound(`tag of model ${name}${version === undefined ? '' : `@${version}`}`, key)
    }
    if (version !== undefined) await this.notify('model_version_tag.deleted', name, { name, version: String(version), key })
  }

  async addWebhook(input: NewWebhook): Promise<Webhook> {
    const w = parseOrThrow(newWebhookSchema, input, 'webhook')
    const row: ModelWebhookRow = {
      id: newId('wh_'), url: w.url, events: JSON.stringify(w.events), model_name: w.model_name ?? null,
      secret: w.secret ?? null, created_at: this.now().toISOString(),
    }
    await modelsRepo.insertWebhook(this.metadata.db, row)
    return toWebhook(row)
  }

  async listWebhooks(): Promise<Webhook[]> {
    return (await modelsRepo.listWebhooks(this.metadata.db)).map(toWebhook)
  }

  async deleteWebhook(id: string): Promise<void> {
    if (!(await modelsRepo.deleteWebhook(this.metadata.db, id))) {
      throw Errors.notFound('webhook', id, (await this.listWebhooks()).map((w) => w.id))
    }
  }

  /**
   * POSTs `{event, timestamp, data}` to every webhook listening to `event` for this model. A
   * delivery that fails or times out is logged, never an error of the change that caused it
   * (the change is committed already). With a secret, `X-Asof-Signature: v1,<base64 HMAC-SHA256
   * of "<delivery id>.<timestamp>.<body>">` lets the receiver verify it, as MLflow's does.
   */
  private async notify(event: WebhookEvent, modelName: string, data: Record<string, unknown>): Promise<void> {
    const hooks = (await modelsRepo.listWebhooks(this.metadata.db))
      .filter((h) => (h.model_name === null || h.model_name === modelName) && (JSON.parse(h.events) as string[]).includes(event))
    await Promise.all(hooks.map(async (hook) => {
      const deliveryId = newId('whd_')
      const timestamp = String(Math.floor(this.now().getTime() / 1000))
      const body = JSON.stringify({ event, timestamp: this.now().toISOString(), data })
      const headers: Record<string, string> = {
        'content-type': 'application/json', 'x-asof-event': event, 'x-asof-delivery-id': deliveryId, 'x-asof-timestamp': timestamp,
      }
      if (hook.secret) headers['x-asof-signature'] = `v1,${createHmac('sha256', hook.secret).update(`${deliveryId}.${timestamp}.${body}`).digest('base64')}`
      try {
        const r = await fetch(hook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.options.webhookTimeoutMs ?? 5000) })
        if (!r.ok) this.options.log.warn({ webhook: hook.id, event, status: r.status }, 'model webhook answered with an error status')
      } catch (e) {
        this.options.log.warn({ webhook: hook.id, event, err: (e as Error).message }, 'model webhook delivery failed')
      }
    }))
  }

  private async toVersion(row: ModelVersionRow): Promise<ModelVersion> {
    const version = Number(row.version)
    const aliases = (await modelsRepo.listAliases(this.metadata.db, row.name)).filter((a) => Number(a.version) === version).map((a) => a.alias)
    return {
      name: row.name,
      version,
      run_id: row.run_id,
      description: row.description,
      artifact_uri: row.artifact_uri,
      artifact_hash: row.artifact_hash,
      aliases,
      tags: toRecord(await modelsRepo.listVersionTags(this.metadata.db, row.name, version)),
      metrics: JSON.parse(row.metrics) as ModelMetrics,
      signature: JSON.parse(row.signature) as ModelSignature,
      lineage: JSON.parse(row.lineage) as ModelLineage,
      training: JSON.parse(row.training) as TrainingMetadata,
      created_at: row.created_at,
    }
  }
}

function assertName(name: string): void {
  if (!NAME.test(name)) throw Errors.badInput('model name', `${JSON.stringify(name)} must start with a letter or digit and hold only letters, digits, _ . -`)
}

function toRecord(tags: { key: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [t.key, t.value]))
}

function toWebhook(row: ModelWebhookRow): Webhook {
  return { id: row.id, url: row.url, events: JSON.parse(row.events) as WebhookEvent[], model_name: row.model_name, signed: row.secret !== null, created_at: row.created_at }
}
