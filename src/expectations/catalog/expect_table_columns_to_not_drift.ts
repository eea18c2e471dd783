import { z } from 'zod'
import type { Relation } from '../../engines/index.js'
import { fileFormatOf } from '../batch-spec.js'
import { defineExpectation } from '../define.js'
import type { QueryMetric } from '../metrics/metric.js'
import { compareColumns, datasetDrift, DRIFT_TESTS, relationSide, type ColumnDrift, type DriftTest } from '../metrics/drift.js'

const driftTest = z.enum(DRIFT_TESTS as [DriftTest, ...DriftTest[]])

/** The reference batch, on the same engine as the batch validated. */
const referenceSchema = z.union([
  z.object({ table: z.string().min(1), schema: z.string().min(1).optional() }).strict(),
  z.object({ path: z.string().min(1), format: z.enum(['parquet', 'csv', 'json', 'jsonl']).optional() }).strict(),
  z.object({ query: z.string().min(1) }).strict(),
])
type ReferenceSpec = z.infer<typeof referenceSchema>

function referenceRelation(spec: ReferenceSpec): Relation {
  if ('table' in spec) return { kind: 'table', name: spec.table, ...(spec.schema ? { schema: spec.schema } : {}) }
  if ('query' in spec) return { kind: 'user_sql', text: spec.query }
  return { kind: 'file', path: spec.path, format: spec.format ?? fileFormatOf(spec.path, 'reference.path') }
}

const kwargsSchema = z.looseObject({
  reference: referenceSchema,
  /** Columns compared; default: every column present in both batches. */
  columns: z.array(z.string().min(1)).min(1).optional(),
  /** One test for every column instead of Evidently's default choice. */
  stattest: driftTest.optional(),
  stattest_threshold: z.number().positive().optional(),
  /** Per-column overrides: `{"fare": {"stattest": "psi", "threshold": 0.2}}`. */
  per_column_stattest: z.record(z.string(), z.object({ stattest: driftTest.optional(), threshold: z.number().positive().optional() }).strict()).default({}),
  drift_share: z.number().gt(0).max(1).default(0.5),
})
type DriftKwargs = z.infer<typeof kwargsSchema>

/** The per-column drift of the batch against the reference: a GROUP BY per column and side. */
function driftMetric(k: DriftKwargs): QueryMetric {
  const { reference, columns, stattest, stattest_threshold, per_column_stattest } = k
  return {
    shape: 'query', name: 'table.column_drift', args: { reference, columns: columns ?? null, stattest: stattest ?? null, stattest_threshold: stattest_threshold ?? null, per_column_stattest },
    run: async (scope): Promise<ColumnDrift[]> => {
      const referenceSide = await relationSide(scope.engine, referenceRelation(reference), 'the reference')
      const batchSide = { engine: scope.engine, from: scope.from, columns: scope.context.columns, label: 'the batch' }
      const { drifts } = await compareColumns(referenceSide, batchSide, columns, (name) => ({
        test: per_column_stattest[name]?.stattest ?? stattest, threshold: per_column_stattest[name]?.threshold ?? stattest_threshold,
      }), 'columns')
      return drifts
    },
  }
}

/**
 * Drift between the batch and a `reference` batch (a table, a file or a query on the same engine),
 * column by column with Evidently's default tests (see metrics/drift.ts), `stattest` /
 * `stattest_threshold` for all columns or `per_column_stattest` overrides (`ks`, `chisquare`,
 * `wasserstein`, `jensenshannon`, `psi`, `linf`). Fails when the dataset drifts: the share of
 * drifted columns is at least `drift_share` (0.5). Observed value: that share.
 */
export const expectTableColumnsToNotDrift = defineExpectation({
  type: 'expect_table_columns_to_not_drift',
  domain: 'table',
  kwargs: kwargsSchema,
  metrics: (k) => ({ drift: driftMetric(k) }),
  evaluate: (k, values) => {
    const drift = datasetDrift(values.drift as ColumnDrift[], k.drift_share)
    return {
      success: !drift.drifted,
      result: {
        observed_value: drift.share,
        details: { dataset_drift: drift.drifted, drifted_columns: drift.driftedColumns, drift_share: drift.driftShare, columns: drift.columns },
      },
    }
  },
})
