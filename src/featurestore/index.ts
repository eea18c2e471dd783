/**
 * The feature store: definitions (entities, sources, feature views, feature services), the
 * versioned registry, and point-in-time historical retrieval.
 */
export * from './definitions/entity.js'
export * from './definitions/source.js'
export * from './definitions/feature-view.js'
export * from './definitions/feature-service.js'
export * from './definitions/repo-config.js'
export { loadFeatureRepo, readRepoConfig, type FeatureRepo } from './definitions/repo-loader.js'
export * from './feature-refs.js'
