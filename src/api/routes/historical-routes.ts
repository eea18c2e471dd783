import { createReadStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { RecordBatchStreamWriter } from 'apache-arrow'
import { ARROW_STREAM, contract, retrievalRequest } from '../../client/index.js'
import type { RouteModule } from '../context.js'
import { requireSqlScopeFor } from '../user-sql.js'
import { withAllowedFiles } from '../file-access.js'

/**
 * `POST /api/v1/historical-features`: point-in-time retrieval for entity rows given inline or as a
 * file in the repo. Answers a JSON array of records, or (`Accept: application/vnd.apache.arrow.stream`)
 * an Arrow IPC stream written batch by batch as the client reads it (no file on the server), or
 * Parquet (`Accept: application/vnd.apache.parquet`).
 */
const PARQUET = 'application/vnd.apache.parquet'

export const historicalRoutes: RouteModule = (app, { asof }) => {
  const retrieve = contract.historical.retrieve
  app.post(retrieve.path, {
    config: { access: retrieve.access },
    schema: { summary: retrieve.summary, tags: [...retrieve.tags], body: retrieve.input },
  }, async (request, reply) => {
    const input = withAllowedFiles(asof, 'historical.retrieve', request.body as Record<string, unknown>) as typeof request.body
    await requireSqlScopeFor(asof, request, 'historical.retrieve', input)
    // The entity file is a real path under the repo or a data root; an entity query passed the sql scope above.
    const retrieval = retrievalRequest(asof, input, false)
    if (request.headers.accept?.includes(PARQUET)) {
      // DuckDB writes Parquet only to a file: the one format answered from a scratch file, streamed back.
      const dir = mkdtempSync(join(tmpdir(), 'asof-historical-'))
      const remove = () => rmSync(dir, { recursive: true, force: true })
      try {
        await asof.featureStore.writeHistorical(retrieval, join(dir, 'features.parquet'))
        const file = createReadStream(join(dir, 'features.parquet'))
        file.on('close', remove)
        return reply.type(PARQUET).send(file)
      } catch (e) {
        remove()
        throw e
      }
    }
    if (!request.headers.accept?.includes(ARROW_STREAM)) {
      return reply.type('application/json; charset=utf-8').send((await asof.featureStore.historical(retrieval)).rows)
    }
    const batches = await asof.featureStore.historicalBatches(retrieval)
    // Each batch is built and written when the socket wants more (the stream's backpressure).
    return reply.type(ARROW_STREAM).send(Readable.from(batches).pipe(RecordBatchStreamWriter.throughNode()))
  })
}
