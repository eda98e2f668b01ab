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
