/**
 * The webhook receiver on its own (`npm run webhooks`): configuration from the environment (see
 * docs/webhooks.md), Temporal through its standard environment configuration. SIGINT/SIGTERM stop it
 * after the requests in flight have been answered.
 */
import { connectClient } from '../client/temporal-connection';
import { VerificationClient } from '../client/verification-client';
import { createLogger } from '../logger';
import { taskQueueFromEnv } from '../service-config';
import { loadWebhookConfig, WebhookConfigError } from './config';
import { startWebhookReceiver } from './receiver';
import { temporalEventDelivery, temporalReadiness } from './temporal-delivery';

/** Longest wait for in-flight requests at shutdown before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;
/** Delivery to Temporal gets its gRPC deadline; the receiver's own bound is this much later. */
const DELIVERY_TIMEOUT_MARGIN_MS = 500;

async function main(): Promise<void> {
  const config = loadWebhookConfig(process.env);
  const logger = createLogger('webhooks', config.logLevel);
  const taskQueue = taskQueueFromEnv();
  const temporal = await connectClient({ lazy: true });
  const verification = new VerificationClient(temporal.client, { taskQueue });
  const receiver = await startWebhookReceiver({
    port: config.port,
    host: config.host,
    path: config.path,
    secrets: config.secrets,
    bodyLimitBytes: config.bodyLimitBytes,
    retryAfterSeconds: config.retryAfterSeconds,
    delivery: temporalEventDelivery(verification, { timeoutMs: config.temporalTimeoutMs }),
    deliveryTimeoutMs: config.temporalTimeoutMs + DELIVERY_TIMEOUT_MARGIN_MS,
    readiness: temporalReadiness(temporal.client),
    logger,
  });
  logger.info(
    {
      url: receiver.url,
      namespace: temporal.namespace,
      taskQueue,
      secretCount: config.secrets.length,
      bodyLimitBytes: config.bodyLimitBytes,
    },
    'webhook receiver listening',
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'webhook receiver stopping');
    const forced = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    forced.unref();
    receiver
      .close()
      .then(() => temporal.connection.close())
      .then(() => {
        logger.info('webhook receiver stopped');
        clearTimeout(forced);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    // A configuration error names the variables; anything else is reported by message only.
    console.error(err instanceof WebhookConfigError ? err.message : err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
