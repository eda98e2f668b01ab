export { buildApiApp, type ApiApp, type ApiAppOptions } from './app';
export { hashApiKey, newApiKey, isKnownApiKey, parseApiKeyHashes } from './api-keys';
export { type ApiSettings, loadApiSettings } from './config';
export { buildOpenApiDocument, openApiDocumentText } from './openapi';
export { type RunningApiServer, startApiServer } from './server';
export { VerificationApi } from './verification-api';
