export { buildApp, type AppOptions } from './app.js'
export { startServer, readServerFile, serverFilePath, type RunningServer, type ServerFile } from './server.js'
export { ApiKeys, type ApiKeyInfo, type CreatedApiKey } from './auth.js'
export { kindForStatus, type Problem } from './errors.js'
