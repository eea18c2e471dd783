import { z } from 'zod'
import { Errors } from '../../core/index.js'
import { sql } from '../../engines/index.js'
import { defineExpectation } from '../define.js'

const BATCH_NAME = 'asof_batch'

/**
 * GX 1.x's UnexpectedRowsExpectation: `unexpected_rows_query` is a SELECT in which `{batch}` stands
 * for the batch; it passes when the query returns no rows. Unlike row_condition this IS the
 * suite author's own SQL (as in GX): it runs as written, as a subquery, with `{batch}` bound to a
 * CTE over the batch — only suites from people allowed to query the engine should carry it.
 */
export const unexpectedRowsExpectation = defineExpectation({
  type: 'unexpected_rows_expectation',
  domain: 'query',
  kwargs: z.looseObject({ unexpected_rows_query: z.string().min(1), description: z.string().nullish() }),
  metrics: (k) => {
    if (!k.unexpected_rows_query.includes('{batch}')) throw Errors.badInput('kwargs.unexpected_rows_query', 'must select from {batch}')
    const text = k.unexpected_rows_query.replaceAll('{batch}', BATCH_NAME)
    return {
      rows: {
        shape: 'query',
        name: 'unexpected_rows_query.rows',
        args: { unexpected_rows_query: k.unexpected_rows_query },
        run: async (scope) => {
          const user = scope.engine.from({ kind: 'user_sql', text })
          const [count] = await scope.engine.query<{ n: unknown }>(
            sql`with ${sql.id(BATCH_NAME)} as (select * from ${scope.from} as b) select count(*) as n from ${user} as q`)
          const sample = await scope.engine.query(
            sql`with ${sql.id(BATCH_NAME)} as (select * from ${scope.from} as b) select * from ${user} as q limit 200`)
          return { count: Number(count?.n), sample }
        },
      },
    }
  },
  evaluate: (_k, v) => {
    const { count, sample } = v.rows as { count: number; sample: unknown[] }
    return {
      success: count === 0,
      result: { observed_value: `${count} unexpected row${count === 1 ? '' : 's'}`, details: { unexpected_rows: sample } },
    }
  },
})
