import { z } from 'zod'
import { annotations, identifier } from './common.js'

/** An entity: what features describe (a driver), and the column(s) that identify it. */
export const entitySchema = z.strictObject({
  name: identifier,
  /** Several keys make a composite key, compared as a tuple. */
  join_keys: z.array(identifier).min(1),
  ...annotations,
})

export type EntityDefinition = z.output<typeof entitySchema>
