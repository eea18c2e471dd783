import { Errors } from '../../core/index.js'
import type { Kysely } from 'kysely'
import { registryRepo, type MetadataSchema, type RegistryKind } from '../../metadata/index.js'
import type { StoredFeatureView } from '../definitions/feature-view.js'
import type { StoredSpecs } from './specs.js'

/** One immutable version of a registry object. */
export interface RegistryObjectVersion<K extends RegistryKind = RegistryKind> {
  readonly kind: K
  readonly name: string
  readonly version: number
  readonly spec: StoredSpecs[K]
  readonly specHash: string
  /** ISO-8601 UTC. */
  readonly createdAt: string
}

const KIND_WORDS: Record<RegistryKind, string> = {
  entity: 'entity', source: 'source', feature_view: 'feature view', feature_service: 'feature service',
}

/**
 * Reads one version (the current one without `version`). Absent, it names the known ones: as bad
 * input when a definition or request refers to it (`reference`), as not found when it is the
 * object asked for (`resource`: `GET /api/v1/feature-views/NAME`).
 */
export async function getObjectVersion<K extends RegistryKind>(
  db: Kysely<MetadataSchema>, project: string, kind: K, name: string, version?: number, asked: 'reference' | 'resource' = 'reference',
): Promise<RegistryObjectVersion<K>> {
  const row = await registryRepo.getVersion(db, project, kind, name, version)
  if (row) return toVersion(row) as RegistryObjectVersion<K>
  const absent = (what: string, missing: string, known: string[]) =>
    asked === 'resource' ? Errors.notFound(what, missing, known) : Errors.unknownReference(`project ${project}`, what, missing, known)
  const objects = await registryRepo.listObjects(db, project, kind)
  if (version === undefined || !objects.some((o) => o.name === name)) throw absent(KIND_WORDS[kind], name, objects.map((o) => o.name))
  const versions = await registryRepo.listVersions(db, project, kind, name)
  throw absent(`version of ${KIND_WORDS[kind]} ${name}`, String(version), versions.map((v) => String(v.version)))
}

export async function listObjectVersions(db: Kysely<MetadataSchema>, project: string, kind: RegistryKind, name: string): Promise<RegistryObjectVersion[]> {
  const rows = await registryRepo.listVersions(db, project, kind, name)
  if (rows.length === 0) await getObjectVersion(db, project, kind, name, undefined, 'resource') // throws the not-found error
  return rows.map(toVersion)
}

export type FeatureViewVersion = RegistryObjectVersion<'feature_view'> & { spec: StoredFeatureView }

function toVersion(row: registryRepo.RegistryVersionRow): RegistryObjectVersion {
  return {
    kind: row.kind,
    name: row.name,
    version: Number(row.version),
    spec: JSON.parse(row.spec) as StoredSpecs[RegistryKind],
    specHash: row.spec_hash,
    createdAt: String(row.created_at),
  }
}
