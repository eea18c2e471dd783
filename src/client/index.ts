/**
 * asof's client SDK, the package's entry point (`import { connectAsof, openAsof } from 'asof'`):
 * one interface, `AsofClient`, implemented in process (`openAsof({repo})`) and over HTTP
 * (`connectAsof(url, {apiKey})`), both from the operations of `contract.ts`.
 */
export type { AsofClient, AsofInput, AsofOutput, HistoricalClient } from './client.js'
export { openAsof, localClient, type OpenOptions } from './local-client.js'
export { connectAsof, ARROW_STREAM, type ConnectOptions } from './http-client.js'
export { openRepoClient } from './repo-client.js'
export { contract, historicalInput, REGISTRY_SEGMENTS, type AsofContract, type HistoricalInput, type OnlineFeaturesJson, type RegistrySegment } from './contract.js'
export { operations, pathParams, inputShape, type Operation, type Access, type HttpMethod } from './operation.js'
export { handlers, retrievalRequest, atField } from './handlers.js'
export { STATUS_OF_KIND, kindForStatus, type Problem } from './problem.js'
export { announceServer, findRunningServer, readServerFile, serverFilePath, type ServerFile } from './server-file.js'
export { AsofError, isAsofError, type ErrorKind } from '../core/index.js'
