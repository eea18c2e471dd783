import { z } from 'zod'
import type { ColumnSpec } from '../../engines/index.js'
import { annotations, durationSeconds, identifier } from './common.js'
import type { EntityDefinition } from './entity.js'
import type { SourceDefinition } from './source.js'

const SCALAR_DTYPES = ['bool', 'int32', 'int64', 'float32', 'float64', 'string', 'bytes', 'timestamp'] as const
export type ScalarDtype = (typeof SCALAR_DTYPES)[number]

/** A feature's type: a scalar, or a list written `list<int64>` or `list[int64]` (normalized to `list<int64>`). */
export const dtypeSchema = z.string().transform((value, ctx) => {
  const s = value.trim().toLowerCase()
  const list = /^list\s*[<[]\s*(\w+)\s*[>\]]$/.exec(s)
  const element = list ? list[1]! : s
  if (!(SCALAR_DTYPES as readonly string[]).includes(element)) {
    ctx.addIssue({ code: 'custom', message: `unknown dtype ${JSON.stringify(value)}; known: ${SCALAR_DTYPES.join(', ')} and list<…> of these` })
    return z.NEVER
  }
  return list ? `list<${element}>` : element
})

export const featureSchema = z.strictObject({
  name: identifier,
  dtype: dtypeSchema,
  description: z.string().default(''),
})

/** A named group of typed features over one source, keyed by entities, with a ttl. */
export const featureViewSchema = z.strictObject({
  name: identifier,
  /** Entity names; empty for a view joined on time alone. */
  entities: z.array(identifier).default([]),
  /** Seconds; 0 (or absent) means unlimited. */
  ttl: durationSeconds.default(0),
  source: identifier,
  schema: z.array(featureSchema).min(1),
  /**
   * A SELECT over the source, which it reads as the relation `source`; the view reads its result in
   * place of the source (so `timestamp_field`, `field_mapping` and join keys name its columns). Runs
   * on the source's engine; changing it makes a new version.
   */
  transformation: z.strictObject({ sql: z.string().trim().min(1) }).optional(),
  online: z.boolean().default(true),
  ...annotations,
})

export type FeatureDefinition = z.output<typeof featureSchema>
export type FeatureViewDefinition = z.output<typeof featureViewSchema>

/** The engine column type for a normalized dtype. */
export function dtypeColumnSpec(name: string, dtype: string): ColumnSpec {
  const list = /^list<(\w+)>$/.exec(dtype)
  return list ? { name, type: 'list', elementType: list[1] as ScalarDtype } : { name, type: dtype as ScalarDtype }
}

/**
 * A feature view as the registry stores each version: self-contained, with its entities' join
 * keys and a snapshot of its source, so a pinned version (`view@2`) keeps reading what it read
 * when it was applied, whatever later applies change.
 */
export interface StoredFeatureView extends Omit<FeatureViewDefinition, 'ttl' | 'source'> {
  /** Seconds; 0 = unlimited. */
  readonly ttl_seconds: number
  /** The entities' join keys, in entity order (a composite key when there are several). */
  readonly join_keys: string[]
  readonly source: SourceDefinition
}

/** Builds the stored form of `view` from the (already cross-checked) entities and sources. */
export function storedFeatureView(
  view: FeatureViewDefinition,
  entities: ReadonlyMap<string, EntityDefinition>,
  sources: ReadonlyMap<string, SourceDefinition>,
): StoredFeatureView {
  const { ttl, source, ...rest } = view
  return {
    ...rest,
    ttl_seconds: ttl,
    join_keys: view.entities.flatMap((e) => entities.get(e)!.join_keys),
    source: sources.get(source)!,
  }
}
