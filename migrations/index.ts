import type { Migration } from 'kysely'
import * as registry from './0001_registry.js'
import * as online from './0002_online.js'
import * as expectations from './0003_expectations.js'
import * as pipelines from './0004_pipelines.js'
import * as apiKeys from './0005_api_keys.js'
import * as models from './0006_models.js'
import * as pipelineWorkers from './0007_pipeline_workers.js'
import * as onlineGenerations from './0008_online_generations.js'

/**
 * Every migration, by the name kysely records (its file name). A static list rather than a folder
 * read at run time, so the bundled CLI needs no TypeScript loader to migrate; a test checks it
 * names every file in this folder.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_registry': registry,
  '0002_online': online,
  '0003_expectations': expectations,
  '0004_pipelines': pipelines,
  '0005_api_keys': apiKeys,
  '0006_models': models,
  '0007_pipeline_workers': pipelineWorkers,
  '0008_online_generations': onlineGenerations,
}
