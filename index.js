// The package's entry point, `import { connectAsof, openAsof } from 'asof'`: the client SDK
// (src/client/index.ts) from its cached bundle (bin/bundle.js), rebuilt when a source changes; its
// types are dist/types/src/client/index.d.ts, written by `npm run build:types` (run by `npm ci`).
import { bundle } from './bin/bundle.js'

const { url } = await bundle('client')
// When the cache cannot be written: the sources through tsx, in a namespace of their own (the
// application's own imports are not given tsx's loader).
const sdk = url.endsWith('.ts') ? await (await import('tsx/esm/api')).tsImport(url, import.meta.url) : await import(url)

// The names src/client/index.ts exports (test/client/package-entry.test.ts keeps the list whole).
export const {
  ARROW_STREAM, AsofError, REGISTRY_SEGMENTS, STATUS_OF_KIND, announceServer, atField, connectAsof, contract,
  findRunningServer, handlers, historicalInput, inputShape, isAsofError, kindForStatus, localClient, openAsof,
  openRepoClient, operations, pathParams, readServerFile, retrievalRequest, serverFilePath,
} = sdk
