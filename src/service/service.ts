/**
 * The composition root: the one place the service is assembled from its configuration. Every process (the
 * worker, the webhook receiver, the codec server, the HTTP API, `npm start`, the benchmarks, the chaos rig) asks it for
 * the parts it runs, so one code path runs them all in one process or each apart.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createActivities } from '../activities';
import { type RunningApiServer, VerificationApi, startApiServer } from '../api';
import { CalizaClient, CalizaMetrics } from '../caliza';
import { VerificationClient } from '../client/verification-client';
import { type CodecServerHandle, startCodecServer } from '../codec';
import type { Logger } from '../logger';
import {
  createWebhookHandler,
  type EventDelivery,
  type RunningWebhookReceiver,
  startWebhookReceiver,
  type WebhookHandler,
  type WebhookHandlerOptions,
  temporalEventDelivery,
  temporalReadiness,
} from '../webhooks';
import { deliveryTimeoutFor } from '../webhooks/config';
import { NotReadyError } from '../webhooks/temporal-delivery';
import { WebhookSecretSource } from '../webhooks/webhook-secret-source';
import { AdminServer, type ReadinessCheck } from './admin-server';
import type { ServiceConfig, WebhookSettings } from './config';
import type { SdkMetrics } from './sdk-metrics';
import type { Tracing } from './tracing';
import {
  type VerificationWorkerOptions,
  checkSearchAttributes,
  createVerificationWorker,
} from './verification-worker';
import { workerReadiness } from './worker-readiness';

export interface ServiceDependencies {
  logger: Logger;
  /** A Caliza client to share (the launcher's, with the double's credentials); built from the config otherwise. */
  caliza?: CalizaClient;
  /** Registry of the service's own metrics (receiver, Caliza client, process); a new one when absent. */
  registry?: Registry;
  /** The SDK's metrics, collected by the runtime this process installed (`installRuntime`). */
  sdkMetrics?: SdkMetrics;
  /** The process's tracer (`Tracing.fromSettings(config.tracing)`); no spans are exported when absent. */
  tracing?: Tracing;
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
  private admin: AdminServer | null = null;
  private readonly readiness: ReadinessCheck[] = [];
  /** The service's own metrics; the admin server serves them with the SDK's. */
  readonly registry: Registry;

  constructor(
    readonly config: ServiceConfig,
    private readonly deps: ServiceDependencies,
  ) {
    this.calizaClient = deps.caliza ?? null;
    this.registry = deps.registry ?? new Registry();
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
        metrics: new CalizaMetrics(this.registry),
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
        // The signal's span carries the receiver's trace into the workflow.
        ...(this.deps.tracing && { interceptors: this.deps.tracing.clientInterceptors() }),
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
      tracing: this.deps.tracing ?? null,
    });
    this.addReadiness({
      part: 'worker',
      check: workerReadiness({
        worker,
        connection,
        namespace: temporal.namespace,
        taskQueue: temporal.taskQueue,
      }),
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
    const settings = this.webhookSettings();
    const client = await this.client();
    const options = await this.webhookHandlerOptions(settings);
    const readiness = temporalReadiness(
      client,
      settings.readinessTimeoutMs !== undefined ? { timeoutMs: settings.readinessTimeoutMs } : {},
    );
    const receiver = await startWebhookReceiver({
      ...options,
      port: settings.port,
      host: settings.host,
      path: settings.path,
      readiness,
    });
    this.closers.push({ name: 'webhook receiver', close: () => receiver.close() });
    const { secrets } = options;
    this.addReadiness({
      part: 'webhooks',
      check: async () => {
        // As the receiver's own /readyz: without a secret nothing can be verified.
        if (typeof secrets === 'function' && secrets().length === 0)
          throw new NotReadyError('no webhook secret');
        await readiness();
      },
    });
    return receiver;
  }

  /**
   * The receiver's handler alone, for an integrator who mounts it in their own Fastify or Express app
   * (`calizaWebhookPlugin`, `calizaWebhookMiddleware`): the same checks, signal and forward as the
   * receiver's, from the same configuration.
   */
  async webhookHandler(): Promise<WebhookHandler> {
    const handler = createWebhookHandler(await this.webhookHandlerOptions(this.webhookSettings()));
    this.closers.push({ name: 'webhook handler', close: () => handler.close() });
    return handler;
  }

  private webhookSettings(): WebhookSettings {
    const settings = this.config.webhooks;
    if (!settings) throw new Error('the webhook receiver is not configured');
    return settings;
  }

  private async webhookHandlerOptions(settings: WebhookSettings): Promise<WebhookHandlerOptions> {
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
    return {
      secrets,
      bodyLimitBytes: settings.bodyLimitBytes,
      retryAfterSeconds: settings.retryAfterSeconds,
      forward: settings.forward,
      delivery: this.deps.wrapDelivery ? this.deps.wrapDelivery(delivery) : delivery,
      deliveryTimeoutMs: deliveryTimeoutFor(settings.temporalTimeoutMs),
      logger: this.logger.child({ component: 'webhooks' }),
      registry: this.registry,
    };
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
    // It needs nothing but its keys: ready once it listens.
    this.addReadiness({ part: 'codec-server', check: async () => undefined });
    return server;
  }

  /**
   * The admin server (`/livez`, `/readyz`, `/metrics`) on ADMIN_PORT: started first and stopped last, so
   * that probes and scrapes are answered while the parts start and while they drain.
   */
  async startAdmin(): Promise<AdminServer> {
    const settings = this.config.admin;
    if (!settings) throw new Error('the admin server is not configured');
    if (this.admin) return this.admin;
    collectDefaultMetrics({ register: this.registry });
    const admin = await AdminServer.start({
      ...settings,
      registry: this.registry,
      sdkMetrics: this.deps.sdkMetrics ?? null,
      logger: this.logger.child({ component: 'admin' }),
    });
    for (const check of this.readiness) admin.addReadiness(check);
    this.admin = admin;
    this.closers.push({ name: 'admin server', close: () => admin.close() });
    return admin;
  }

  private addReadiness(check: ReadinessCheck): void {
    this.readiness.push(check);
    this.admin?.addReadiness(check);
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
      this.admin?.markStopping();
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
