/**
 * The composition root: the one place the service is assembled from its configuration. Every process (the
 * worker, the webhook receiver, the codec server, the HTTP API, `npm start`, the benchmarks, the chaos rig) asks it for
 * the parts it runs, so one code path runs them all in one process or each apart.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Registry } from 'prom-client';
import { createActivities } from '../activities';
import { type RunningApiServer, VerificationApi, startApiServer } from '../api';
import { CalizaClient } from '../caliza';
import { VerificationClient } from '../client/verification-client';
import { type CodecServerHandle, startCodecServer } from '../codec';
import type { Logger } from '../logger';
import {
  type EventDelivery,
  type RunningWebhookReceiver,
  startWebhookReceiver,
  temporalEventDelivery,
  temporalReadiness,
} from '../webhooks';
import { deliveryTimeoutFor } from '../webhooks/config';
import { WebhookSecretSource } from '../webhooks/webhook-secret-source';
import type { ServiceConfig } from './config';
import {
  type VerificationWorkerOptions,
  checkSearchAttributes,
  createVerificationWorker,
} from './verification-worker';

export interface ServiceDependencies {
  logger: Logger;
  /** A Caliza client to share (the launcher's, with the double's credentials); built from the config otherwise. */
  caliza?: CalizaClient;
  /** Registry of the receiver's metrics; a new one when absent. */
  registry?: Registry;
  /** Wraps the receiver's delivery to Temporal, e.g. to time it. */
  wrapDelivery?: (delivery: EventDelivery) => EventDelivery;
}

export interface RunningWorker {
  worker: Worker;
  /** Settles when the worker stops; rejects if it fails on its own. */
  done: Promise<void>;
}

interface Closer {
  name: string;
  close(): Promise<void> | void;
}

export class VerificationService {
  private readonly closers: Closer[] = [];
  private calizaClient: CalizaClient | null;
  private temporalClient: Promise<Client> | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    readonly config: ServiceConfig,
    private readonly deps: ServiceDependencies,
  ) {
    this.calizaClient = deps.caliza ?? null;
  }

  get logger(): Logger {
    return this.deps.logger;
  }

  /** One Caliza client (and so one token) for everything in this process. */
  caliza(): CalizaClient {
    if (!this.calizaClient) {
      if (!this.config.caliza) throw new Error('Caliza is not configured (CALIZA_* variables)');
      this.calizaClient = new CalizaClient(this.config.caliza, {
        logger: this.logger.child({ component: 'caliza' }),
      });
    }
    return this.calizaClient;
  }

  /**
   * The Temporal client, connected lazily: a receiver must come up (and answer 503) while Temporal is down.
   * It carries the payload codec, without which results and queries would come back still encrypted.
   */
  client(): Promise<Client> {
    this.temporalClient ??= (async () => {
      const connection = Connection.lazy(this.config.temporal.connectionOptions);
      this.closers.push({ name: 'Temporal client connection', close: () => connection.close() });
      const codec = this.config.payloadCodec;
      return new Client({
        connection,
        namespace: this.config.temporal.namespace,
        ...(codec && { dataConverter: { payloadCodecs: [codec] } }),
      });
    })();
    return this.temporalClient;
  }

  async verifications(): Promise<VerificationClient> {
    return new VerificationClient(await this.client(), { taskQueue: this.config.temporal.taskQueue });
  }

  /** Connects, checks the namespace's search attributes, and runs the worker until `close()`. */
  async startWorker(tuning?: VerificationWorkerOptions['tuning']): Promise<RunningWorker> {
    const { temporal, payloadCodec, workflowBundlePath } = this.config;
    const connection = await NativeConnection.connect(temporal.connectionOptions);
    this.closers.push({ name: 'worker connection', close: () => connection.close() });
    await checkSearchAttributes(connection, temporal.namespace, this.logger);
    const worker = await createVerificationWorker({
      connection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      activities: createActivities({ caliza: this.caliza() }),
      ...(workflowBundlePath && { workflowBundlePath }),
      ...(payloadCodec && { dataConverter: { payloadCodecs: [payloadCodec] } }),
      ...(tuning && { tuning }),
    });
    const done = worker.run();
    // Observed here so that a failure before anyone awaits it is not an unhandled rejection.
    done.catch((err: unknown) => this.logger.error({ err: errorMessage(err) }, 'worker failed'));
    this.closers.push({
      name: 'worker',
      close: async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await done.catch(() => undefined);
      },
    });
    return { worker, done };
  }

  /**
   * The webhook receiver, delivering to Temporal with a gRPC deadline and answering 503 just after it.
   * Without configured secrets it reads the integrator's secret from Caliza, again every
   * `secretRefreshMs`, and keeps accepting the previous one for a grace period after a rotation.
   */
  async startWebhooks(): Promise<RunningWebhookReceiver> {
    const settings = this.config.webhooks;
    if (!settings) throw new Error('the webhook receiver is not configured');
    const client = await this.client();
    let secrets: readonly string[] | (() => readonly string[]) = settings.secrets;
    if (settings.secrets.length === 0) {
      const caliza = this.caliza();
      const source = new WebhookSecretSource(caliza, (await caliza.getIntegrator()).id, this.logger);
      await source.refresh();
      source.startRefreshing(settings.secretRefreshMs);
      this.closers.push({ name: 'webhook secret refresh', close: () => source.stop() });
      secrets = () => source.current();
    }
    const delivery = temporalEventDelivery(await this.verifications(), {
      timeoutMs: settings.temporalTimeoutMs,
    });
    const receiver = await startWebhookReceiver({
      port: settings.port,
      host: settings.host,
      path: settings.path,
      secrets,
      bodyLimitBytes: settings.bodyLimitBytes,
      retryAfterSeconds: settings.retryAfterSeconds,
      delivery: this.deps.wrapDelivery ? this.deps.wrapDelivery(delivery) : delivery,
      deliveryTimeoutMs: deliveryTimeoutFor(settings.temporalTimeoutMs),
      readiness: temporalReadiness(
        client,
        settings.readinessTimeoutMs !== undefined ? { timeoutMs: settings.readinessTimeoutMs } : {},
      ),
      logger: this.logger.child({ component: 'webhooks' }),
      ...(this.deps.registry && { registry: this.deps.registry }),
    });
    this.closers.push({ name: 'webhook receiver', close: () => receiver.close() });
    return receiver;
  }

  async startCodecServer(overrides: { allowedOrigins?: readonly string[] } = {}): Promise<CodecServerHandle> {
    const codec = this.config.payloadCodec;
    if (!codec)
      throw new Error('payload encryption is not configured: there is nothing to encode or decode with');
    const server = await startCodecServer({
      ...this.config.codecServer,
      ...overrides,
      codec,
      logger: this.logger.child({ component: 'codec-server' }),
    });
    this.closers.push({ name: 'codec server', close: () => server.close() });
    return server;
  }

  /** The HTTP API for backends, over the same client library as every other caller. */
  async startApi(): Promise<RunningApiServer> {
    const settings = this.config.api;
    if (!settings) throw new Error('the HTTP API is not configured (API_KEY_HASHES)');
    const server = await startApiServer({
      port: settings.port,
      host: settings.host,
      keyHashes: settings.keyHashes,
      api: new VerificationApi(await this.verifications()),
      logger: this.logger.child({ component: 'api' }),
    });
    this.closers.push({ name: 'HTTP API', close: () => server.close() });
    return server;
  }

  /** Stops every part it started, newest first: receiver, worker, then the connections. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const errors: unknown[] = [];
      for (const closer of this.closers.splice(0).reverse()) {
        try {
          await closer.close();
        } catch (err) {
          this.logger.warn({ err: errorMessage(err), part: closer.name }, 'part failed to stop cleanly');
          errors.push(err);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'some parts failed to stop cleanly');
    })();
    return this.closing;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
