export { buildWebhookApp, type WebhookApp, type WebhookAppOptions } from './app';
export { startWebhookReceiver, type RunningWebhookReceiver, type WebhookReceiverOptions } from './receiver';
export {
  temporalEventDelivery,
  temporalReadiness,
  NotReadyError,
  type EventDelivery,
  DEFAULT_READINESS_TIMEOUT_MS,
} from './temporal-delivery';
export { isTemporalUnavailable, TemporalTimeoutError } from './temporal-availability';
export { loadWebhookConfig, WebhookConfigError, type WebhookConfig } from './config';
export {
  parseEnvelope,
  toVerificationEvent,
  legacyDateTimeToIso,
  type WebhookEnvelope,
  type EnvelopeParseResult,
} from './envelope';
export { WebhookMetrics, DELIVERY_RESULTS, type DeliveryResultLabel } from './metrics';
export {
  createWebhookHandler,
  type WebhookHandler,
  type WebhookHandlerOptions,
  type WebhookRequest,
  type WebhookResponse,
} from './handler';
export { calizaWebhookPlugin, type CalizaWebhookPluginOptions } from './fastify-plugin';
export { calizaWebhookMiddleware, type WebhookMiddleware } from './express-middleware';
export { WebhookForwarder, type ForwardOptions, type ForwardResult, type ForwardOutcome } from './forwarder';
