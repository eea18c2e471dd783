import { z } from 'zod'
import type { Row } from '../../engines/index.js'
import { defineExpectation } from '../define.js'
import { truthy, userQueryMetric } from '../sql-checks.js'

/**
 * Airflow's SQLCheckOperator: `query` (a SELECT; `{batch}` names the batch) returns one row and
 * every value in it must be true in Python's sense — false, 0, '' and NULL fail, as does an empty
 * result. Observed value: the row; `details.failing_columns` names the values that were not true.
 */
export const expectQueryResultsToBeAllTrue = defineExpectation({
  type: 'expect_query_results_to_be_all_true',
  domain: 'query',
  kwargs: z.looseObject({ query: z.string().min(1) }),
  metrics: (k) => ({ rows: userQueryMetric('query.first_row', k.query, 1) }),
  evaluate: (_k, values) => {
    const [row] = values.rows as Row[]
    if (!row) return { success: false, result: { observed_value: null, details: { reason: 'the query returned no rows' } } }
    const failing = Object.entries(row).filter(([, v]) => !truthy(v)).map(([name]) => name)
    return { success: failing.length === 0, result: { observed_value: row, details: { failing_columns: failing } } }
  },
})
