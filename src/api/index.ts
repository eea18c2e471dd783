export { buildApp, type AppOptions } from './app.js'
export { startServer, readServerFile, serverFilePath, type RunningServer, type ServerFile, type ServerOptions } from './server.js'
export { ApiKeys, type ApiKeyInfo, type CreatedApiKey } from './auth.js'
export { kindForStatus, type Problem } from './errors.js'
