export * from './metadata-store.js'
export type { MetadataSchema } from './schema.js'
export * as registryRepo from './repos/registry-repo.js'
export type { RegistryKind, RegistryObjectRow, RegistryVersionRow } from './repos/registry-repo.js'
