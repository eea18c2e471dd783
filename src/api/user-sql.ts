import type { FastifyRequest } from 'fastify'
import { parseSuiteRef, readSuite, userSqlExpectation } from '../expectations/index.js'
import type { Asof } from '../asof.js'
import { requireKeyScope } from './auth.js'

/**
 * What in an operation's input would run the caller's own SQL on an engine, named with its field
 * (`a query batch (body.batch)`); undefined when nothing would. A suite is read as the handler
 * reads it, so a suite the handler would refuse is refused the same way here.
 */
async function userSqlIn(asof: Asof, operation: string, input: Record<string, unknown>): Promise<string | undefined> {
  const inSuite = (suite: unknown, where: string) => {
    const found = userSqlExpectation(readSuite(suite, where))
    return found && `the SQL check ${where}.${found}`
  }
  switch (operation) {
    case 'validation.validate': {
      if ((input.batch as { type?: unknown } | undefined)?.type === 'query') return 'a query batch (body.batch)'
      if (input.suite !== undefined) return inSuite(input.suite, 'body.suite')
      if (typeof input.suite_name !== 'string') return undefined
      const ref = parseSuiteRef(input.suite_name, 'body.suite_name')
      const found = userSqlExpectation((await asof.suites.get(ref.name, ref.version)).suite)
      return found && `the SQL check ${found} of the stored suite ${input.suite_name} (body.suite_name)`
    }
    case 'suites.create':
    case 'suites.save':
      // A stored suite runs later under any write key (checkpoints), so storing SQL needs the scope.
      return inSuite(input.suite, 'body')
    case 'historical.retrieve':
      return input.entity_query === undefined ? undefined : 'an entity query (body.entity_query)'
    default:
      return undefined
  }
}

/** Refuses (403) a request whose input runs the caller's own SQL unless its key has the `sql` scope. */
export async function requireSqlScopeFor(asof: Asof, request: FastifyRequest, operation: string, input: Record<string, unknown>): Promise<void> {
  const what = await userSqlIn(asof, operation, input)
  if (what !== undefined) requireKeyScope(request, 'sql', what)
}
