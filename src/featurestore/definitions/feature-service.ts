import { z } from 'zod'
import { annotations, identifier } from './common.js'

/** `view`, or `view@N` to pin a version. */
export const viewNameWithVersion = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(@[1-9][0-9]*)?$/, 'expected a view name, optionally with @VERSION')

/** One entry of a feature service: a `view:feature` string, or a projection of a view. */
export const serviceEntrySchema = z.union([
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(@[1-9][0-9]*)?:[A-Za-z_][A-Za-z0-9_]*$/, 'expected view:feature or view@N:feature'),
  z.strictObject({
    view: viewNameWithVersion,
    /** Absent: every feature of the view. */
    features: z.array(identifier).min(1).optional(),
    /** Output prefix instead of the view name (`<alias>__<feature>`). */
    alias: identifier.optional(),
    /** The view's join key → the entity-row column holding it. */
    join_key_map: z.record(identifier, identifier).default({}),
  }),
])

/** A named, reusable selection of features (what a model consumes). */
export const featureServiceSchema = z.strictObject({
  name: identifier,
  features: z.array(serviceEntrySchema).min(1),
  ...annotations,
})

export type ServiceEntry = z.output<typeof serviceEntrySchema>
export type FeatureServiceDefinition = z.output<typeof featureServiceSchema>

/** The view (and pinned version, if any) a service entry reads. */
export function serviceEntryView(entry: ServiceEntry): string {
  return typeof entry === 'string' ? entry.slice(0, entry.indexOf(':')) : entry.view
}

/** The features a service entry selects; undefined = all of the view's. */
export function serviceEntryFeatures(entry: ServiceEntry): string[] | undefined {
  return typeof entry === 'string' ? [entry.slice(entry.indexOf(':') + 1)] : entry.features
}
