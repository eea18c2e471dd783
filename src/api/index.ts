export { buildApp, type AppOptions } from './app.js'
export { startServer, type RunningServer, type ServerOptions } from './server.js'
export { statusOf } from './errors.js'
