import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { tableFromIPC, tableToIPC } from 'apache-arrow'
import { z } from 'zod'
import { Errors } from '../../core/index.js'
import type { OutputFormat, RetrievalRequest } from '../../featurestore/index.js'
import type { RouteModule } from '../context.js'
import { atField } from '../errors.js'

const ARROW_STREAM = 'application/vnd.apache.arrow.stream'
const PARQUET = 'application/vnd.apache.parquet'

const bodySchema = z.object({
  features: z.array(z.string().min(1)).min(1).optional(),
  feature_service: z.string().min(1).optional(),
  full_feature_names: z.boolean().default(false),
  /** The entity rows' event-time column (default `event_timestamp`). */
  timestamp_column: z.string().min(1).optional(),
  filter_by_created_timestamp: z.boolean().default(false),
  /** Entity rows inline: objects with the join keys and the event timestamp. */
  entity_rows: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
  /** Or a .csv/.parquet/.json file of entity rows, relative to the server's feature repo. */
  entity_file: z.string().min(1).optional(),
}).strict()
  .refine((b) => (b.features === undefined) !== (b.feature_service === undefined), { message: 'give exactly one of features or feature_service', path: ['features'] })
  .refine((b) => (b.entity_rows === undefined) !== (b.entity_file === undefined), { message: 'give exactly one of entity_rows or entity_file', path: ['entity_rows'] })

/** The response format from the Accept header: JSON unless Arrow IPC stream or Parquet is asked for. */
function formatFor(accept: string | undefined): OutputFormat {
  if (accept?.includes(ARROW_STREAM)) return 'arrow'
  if (accept?.includes(PARQUET)) return 'parquet'
  return 'json'
}

/** An entity file inside the repo directory; anything else on the server's disk is off limits. */
function entityFileIn(repoDir: string, path: string): string {
  const full = resolve(repoDir, path)
  const rel = relative(repoDir, full)
  if (rel.startsWith('..') || isAbsolute(rel)) throw atField(Errors.badInput('body.entity_file', `must be a path inside the feature repo, got ${JSON.stringify(path)}`), 'body.entity_file')
  return full
}

/**
 * `POST /api/v1/historical-features`: point-in-time retrieval for entity rows given inline or as
 * a file in the repo. Answers a JSON array of records, an Arrow IPC stream
 * (`Accept: application/vnd.apache.arrow.stream`) or Parquet (`Accept: application/vnd.apache.parquet`).
 */
export const historicalRoutes: RouteModule = (app, { asof }) => {
  app.post('/api/v1/historical-features', {
    schema: { summary: 'Point-in-time correct feature retrieval (training data)', tags: ['features'], body: bodySchema },
  }, async (request, reply) => {
    const b = request.body
    if (b.entity_rows && b.entity_rows.length > asof.config.api.maxEntityRows) {
      throw atField(Errors.tooManyRows('body.entity_rows', b.entity_rows.length, asof.config.api.maxEntityRows), 'body.entity_rows')
    }
    const retrieval: RetrievalRequest = {
      features: b.features, featureService: b.feature_service, fullFeatureNames: b.full_feature_names,
      timestampColumn: b.timestamp_column, filterByCreatedTimestamp: b.filter_by_created_timestamp,
      entities: b.entity_rows ? { kind: 'rows', rows: b.entity_rows } : { kind: 'file', path: entityFileIn(asof.config.repoDir, b.entity_file!) },
    }
    const format = formatFor(request.headers.accept)
    // One writer per format lives in the feature store; the answer is its file, streamed back.
    const dir = mkdtempSync(join(tmpdir(), 'asof-historical-'))
    const remove = () => rmSync(dir, { recursive: true, force: true })
    try {
      const path = join(dir, `features.${format}`)
      await asof.featureStore.writeHistorical(retrieval, path)
      if (format === 'arrow') {
        // The store writes Arrow's file format; HTTP clients read the stream format.
        const stream = tableToIPC(tableFromIPC(readFileSync(path)), 'stream')
        remove()
        return reply.type(ARROW_STREAM).send(Buffer.from(stream))
      }
      const file = createReadStream(path)
      file.on('close', remove)
      return reply.type(format === 'parquet' ? PARQUET : 'application/json; charset=utf-8').send(file)
    } catch (e) {
      remove()
      throw e
    }
  })
}
