export * from './define.js'
export * from './metrics/metric.js'
export { parseRowCondition, type RowCondition } from './metrics/row-condition.js'
export { CATALOG, CATALOG_BY_TYPE } from './catalog/index.js'
export { validate, createExpectationsService, type Batch, type ExpectationsService, type ValidateOptions, type ValidationOutcome } from './validate.js'
export { metricKey } from './compiler.js'
export * from './formats/suite.js'
export * from './formats/result.js'
export * from './formats/result-format.js'
export { parseLenientJson, reviveFloats } from './formats/lenient-json.js'
export { resolveParameters, type ParameterResolver } from './formats/parameters.js'
export {
  createCheckpointService, createSuiteGate, checkpointSchema,
  type CheckpointService, type CheckpointServiceDeps, type CheckpointConfig, type CheckpointInput, type CheckpointRun,
  type CheckpointRunOptions, type CheckpointValidation, type LatestCheckpointResult, type StoredResult,
} from './checkpoint.js'
export { batchSpecSchema, resolveStandardBatch, fileFormatOf, assertNotMetadataTable, userSqlExpectation, METADATA_TABLES, USER_SQL_EXPECTATIONS, type BatchSpec, type BatchResolver, type ResolvedBatch } from './batch-spec.js'
export { checkpointActionSchema, type CheckpointAction, type ActionOutcome } from './actions.js'
export { createSuiteStore, parseSuiteRef, type SuiteStore, type StoredSuite, type SuiteSummary } from './suite-store.js'
export { profileBatch, type ProfileOptions, type ProposedSuite } from './profiler.js'
export { profileFile, validateFile } from './local-file.js'
export { renderDataDocs, resultPageName, writeDataDocs, type DocsResult } from './docs/data-docs.js'
export { storeHistoryReader, evaluateAnomaly, intervalCheck, anomalyRuleSchema, type AnomalyRule, type HistoryPoint } from './history.js'
export { columnDrift, compareColumns, datasetDrift, defaultDriftTest, DRIFT_TESTS, relationSide, type ColumnDrift, type DatasetDrift, type DriftTest } from './metrics/drift.js'
