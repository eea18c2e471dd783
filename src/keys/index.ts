/**
 * API keys, a service of their own: created and revoked through the client interface, checked
 * by the API's auth hook. Only the secret's sha256 is stored.
 */
export { ApiKeys, scopeAllows, type ApiKeyInfo, type CreatedApiKey } from './api-keys.js'
export { KEY_SCOPES, type KeyScope } from '../metadata/index.js'
