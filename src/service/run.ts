/**
 * Runs parts of the service as one OS process, from the environment: the entry of every production process
 * (`npm run worker`, `npm run webhooks`, `npm run codec-server`, `npm run api`, `node dist/main.js <part>…`).
 * SIGINT/SIGTERM stop the parts in order, letting in-flight work finish within a bound.
 */
import { EncryptionCodec } from '../codec';
import { createLogger } from '../logger';
import { type ServicePart, loadServiceConfig } from './config';
import { applyHeapLimit } from './heap-limit';
import { installRuntime } from './runtime';
import { SdkMetrics } from './sdk-metrics';
import { Tracing } from './tracing';
import { VerificationService } from './service';

/**
 * Longest wait for in-flight work at shutdown before exiting anyway: the receiver answers the requests in
 * flight (each bounded by its 3.5 s delivery timeout), then the worker lets its activities finish for its
 * 10 s grace time (WORKER_SHUTDOWN_GRACE_MS) and completes its workflow tasks. A pod's
 * terminationGracePeriodSeconds must exceed this (docs/observing.md).
 */
export const SHUTDOWN_GRACE_MS = 15_000;

const PART_NAMES: Record<ServicePart, string> = {
  worker: 'worker',
  webhooks: 'webhook receiver',
  'codec-server': 'codec server',
  api: 'HTTP API',
};

export async function runService(
  parts: readonly ServicePart[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  // First: it may re-execute the process with its heap limit.
  const heap = applyHeapLimit();
  const config = loadServiceConfig(parts, env);
  const logger = createLogger(parts.length === 1 ? (parts[0] as string) : 'service');
  logger.info({ heapLimitMb: heap.limitMb, why: heap.reason }, 'heap limit');
  // The SDK's native runtime serves the worker (and collects its metrics); the other parts use the plain client.
  const sdkMetrics = parts.includes('worker') ? new SdkMetrics() : null;
  if (sdkMetrics) installRuntime(logger, { metrics: sdkMetrics });
  const tracing = config.tracing ? Tracing.fromSettings(config.tracing) : null;
  const service = new VerificationService(config, {
    logger,
    ...(sdkMetrics && { sdkMetrics }),
    ...(tracing && { tracing }),
  });
  // The spans still buffered are exported once every part has stopped.
  const closeAll = async (): Promise<void> => {
    try {
      await service.close();
    } finally {
      await tracing?.shutdown().catch(() => undefined);
    }
  };

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, parts }, 'stopping');
    const forced = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    forced.unref();
    closeAll().then(
      () => {
        clearTimeout(forced);
        for (const part of parts) logger.info(`${PART_NAMES[part]} stopped`);
        // Whatever a library left behind must not keep a stopped process alive.
        setTimeout(() => process.exit(0), 100).unref();
      },
      (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  try {
    const { temporal } = config;
    const target = {
      address: temporal.connectionOptions.address ?? 'localhost:7233',
      namespace: temporal.namespace,
    };
    if (config.admin) {
      const admin = await service.startAdmin();
      logger.info({ port: admin.port, paths: ['/livez', '/readyz', '/metrics'] }, 'admin server listening');
    }
    let workerDone: Promise<void> | null = null;
    if (parts.includes('worker')) {
      workerDone = (await service.startWorker()).done;
      logger.info(
        {
          ...target,
          taskQueue: temporal.taskQueue,
          caliza: config.caliza?.apiBaseUrl,
          payloadEncryption: config.payloadCodec ? 'on' : 'off',
        },
        'worker started',
      );
    }
    if (parts.includes('webhooks')) {
      const receiver = await service.startWebhooks();
      logger.info(
        {
          url: receiver.url,
          ...target,
          taskQueue: temporal.taskQueue,
          secrets: config.webhooks?.secrets.length ? 'configured' : 'read from Caliza',
          bodyLimitBytes: config.webhooks?.bodyLimitBytes,
        },
        'webhook receiver listening',
      );
    }
    if (parts.includes('codec-server')) {
      const server = await service.startCodecServer();
      logger.info(
        {
          url: server.url,
          currentKeyId:
            config.payloadCodec instanceof EncryptionCodec ? config.payloadCodec.currentKeyId : null,
          allowedOrigins: config.codecServer?.allowedOrigins ?? 'default',
          namespaces: config.codecServer?.namespaces ?? 'any',
          auth: config.codecServer?.authToken ? 'bearer' : 'none',
        },
        `codec server listening; start the dev server with --ui-codec-endpoint ${server.url}`,
      );
    }
    if (parts.includes('api')) {
      const server = await service.startApi();
      logger.info(
        { url: server.url, ...target, taskQueue: temporal.taskQueue, apiKeys: config.api?.keyHashes.length },
        'HTTP API listening',
      );
    }
    // A worker that stops on its own (a fatal error) ends the process; the other parts serve until a signal.
    if (workerDone) {
      await workerDone;
      if (!stopping) await closeAll();
    }
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}

/** The entry's last word on a failure: one line (a configuration error lists its problems below it). */
export function exitOnFailure(err: unknown): never {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
