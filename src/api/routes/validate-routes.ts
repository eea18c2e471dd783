import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { Errors } from '../../core/index.js'
import { batchSpecSchema, parseResultFormat, parseSuiteRef, readSuite, type Batch, type Suite } from '../../expectations/index.js'
import type { RouteModule } from '../context.js'
import { atField } from '../errors.js'

const bodySchema = z.object({
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

/**
 * `POST /api/v1/validate`: one suite (inline or stored) against inline records or a named batch,
 * answering GX's validation-result shape. Nothing is stored: checkpoints are the way to keep
 * results. Needs `write`, since a batch may be a query or a file on the server.
 */
export const validateRoutes: RouteModule = (app, { asof, metrics }) => {
  app.post('/api/v1/validate', {
    config: { access: 'write' },
    schema: { summary: 'Validate a batch against a suite (GX result shape; nothing stored)', tags: ['suites'], body: bodySchema },
  }, async (request) => {
    const b = request.body
    const suite: Suite = b.suite
      ? readSuite(b.suite, 'body.suite')
      : await (async () => { const ref = parseSuiteRef(b.suite_name!, 'body.suite_name'); return (await asof.suites.get(ref.name, ref.version)).suite })()
    const max = asof.config.api.maxEntityRows
    if (b.records && b.records.length > max) throw atField(Errors.tooManyRows('body.records', b.records.length, max), 'body.records')
    // Inline records become a JSON file DuckDB reads: nothing is written to the metadata or any table.
    const dir = b.records ? mkdtempSync(join(tmpdir(), 'asof-validate-')) : undefined
    try {
      let batch: Batch
      if (dir) {
        const path = join(dir, 'records.json')
        writeFileSync(path, JSON.stringify(b.records))
        batch = { engine: asof.duckdb, relation: { kind: 'file', path, format: 'json' }, description: 'inline records' }
      } else {
        batch = await asof.resolveBatch(b.batch!)
      }
      const { result } = await asof.expectations.validate(suite, batch, { resultFormat: parseResultFormat(b.result_format, 'body.result_format'), parameters: b.parameters })
      metrics.recordValidation(result.success)
      return result
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true })
    }
  })
}
