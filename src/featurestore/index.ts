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
export { createFeatureStore, type FeatureStore, type FeatureStoreDeps, type RegistryObjectSummary, type ResolvedFeatureView } from './feature-store.js'
export type { RegistryPlan, PlanEntry, PlanAction } from './registry/plan.js'
export type { RegistryObjectVersion } from './registry/versions.js'
export type { StoredSpecs } from './registry/specs.js'
export type { RetrievalRequest } from './retrieval/historical.js'
export type { EntitySource } from './retrieval/entity-rows.js'
export type { HistoricalRequest, RetrievalPlan, PlannedView, PlannedFeature, PlannedJoinKey } from './retrieval/retrieval-plan.js'
export { outputFormatOf, type OutputFormat } from './retrieval/output-file.js'
export { createOnlineService, type OnlineService, type OnlineServiceDeps } from './online/online-service.js'
export { getOnlineFeaturesRequestSchema, type GetOnlineFeaturesRequest, type OnlineFeaturesResponse, type FieldStatus } from './online/online-features.js'
export { pushRequestSchema, type PushRequest, type PushResult } from './online/push.js'
export { materializationReportJson, type MaterializationGate, type MaterializationReport, type MaterializationReportJson, type ViewMaterialization } from './materialize.js'
export * from './example/driver-data.js'
