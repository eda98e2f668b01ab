/**
 * The embedded stack the end-to-end and receiver sections run on, in this process: the Temporal dev server
 * (a child process), the Caliza sandbox double, the real worker with the real activities and Caliza client,
 * and the real webhook receiver. Only 127.0.0.1 is ever listened on or called.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../src/activities';
import { CalizaClient } from '../src/caliza';
import { VerificationClient } from '../src/client';
import type { VerificationEvent } from '../src/contracts';
import { freePort } from '../dev/free-port';
import { type DevServer, startDevServer } from '../dev/temporal-dev-server';
import { type SandboxHandle, type SandboxOptions, startSandbox } from '../caliza-double';
import {
  type EventDelivery,
  type RunningWebhookReceiver,
  startWebhookReceiver,
  temporalEventDelivery,
} from '../src/webhooks';
import { type VerificationWorkerOptions, createVerificationWorker } from '../src/worker';

export type WorkerTuning = NonNullable<VerificationWorkerOptions['tuning']>;

export const BENCH_WEBHOOK_SECRET = `whsec_bench_${'0'.repeat(40)}`;

/** The dev server and the client-side connections every section on it shares. */
export interface TemporalLab {
  server: DevServer;
  /** The dev server's Prometheus endpoint. */
  metricsUrl: string;
  client: Client;
  native: NativeConnection;
  close(): Promise<void>;
}

export async function startTemporalLab(): Promise<TemporalLab> {
  const metricsPort = await freePort();
  const server = await startDevServer({
    stdio: 'ignore',
    extraArgs: ['--metrics-port', String(metricsPort)],
  });
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  return {
    server,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    client: new Client({ connection }),
    native,
    close: async () => {
      await connection.close().catch(() => undefined);
      await native.close().catch(() => undefined);
      await server.stop();
    },
  };
}

export interface RunningWorker {
  worker: Worker;
  taskQueue: string;
  stop(): Promise<void>;
}

/** Runs a worker until `stop()`; `create` builds it on the lab's native connection. */
export async function runWorker(create: () => Promise<Worker>, taskQueue: string): Promise<RunningWorker> {
  const worker = await create();
  const running = worker.run();
  running.catch(() => undefined);
  return {
    worker,
    taskQueue,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

export interface VerificationStackOptions {
  lab: TemporalLab;
  logger: Logger;
  workflowBundlePath: string;
  tuning: WorkerTuning;
  sandbox: Pick<SandboxOptions, 'autoDecide' | 'processingDelayMs' | 'seed' | 'faults'>;
}

/** Sandbox double + real worker + real receiver on one task queue of the lab's dev server. */
export interface VerificationStack {
  taskQueue: string;
  sandbox: SandboxHandle;
  /** A Caliza client for the driver (creating beneficiaries); the worker has its own. */
  caliza: CalizaClient;
  verifications: VerificationClient;
  receiver: RunningWebhookReceiver;
  worker: RunningWorker;
  /** Wall-clock time (ms) at which the receiver's delivery to Temporal was accepted, by beneficiary (first). */
  delivered: Map<string, number>;
  deliveries: { accepted: number; alreadyEnded: number };
  close(): Promise<void>;
}

function calizaClientFor(sandbox: SandboxHandle, logger?: Logger): CalizaClient {
  return new CalizaClient(
    {
      apiBaseUrl: sandbox.apiBaseUrl,
      tokenUrl: sandbox.tokenUrl,
      ...sandbox.credentials,
      timeoutMs: 10_000,
      tokenRefreshMarginMs: 60_000,
    },
    logger ? { logger: logger.child({ component: 'caliza' }) } : {},
  );
}

export async function startVerificationStack(options: VerificationStackOptions): Promise<VerificationStack> {
  const { lab, logger } = options;
  const taskQueue = `bench-kyc-${randomUUID()}`;
  const verifications = new VerificationClient(lab.client, { taskQueue });
  const delivered = new Map<string, number>();
  const deliveries = { accepted: 0, alreadyEnded: 0 };
  const temporalDelivery = temporalEventDelivery(verifications);
  const timedDelivery: EventDelivery = {
    deliverEvent: async (event: VerificationEvent) => {
      const result = await temporalDelivery.deliverEvent(event);
      if (!delivered.has(event.beneficiaryId)) delivered.set(event.beneficiaryId, Date.now());
      if (result === 'ACCEPTED') deliveries.accepted += 1;
      else deliveries.alreadyEnded += 1;
      return result;
    },
  };
  const receiver = await startWebhookReceiver({
    port: 0,
    host: '127.0.0.1',
    secrets: [BENCH_WEBHOOK_SECRET],
    delivery: timedDelivery,
    logger: logger.child({ component: 'webhooks' }),
  });
  const sandbox = await startSandbox({
    ...options.sandbox,
    webhookSecret: BENCH_WEBHOOK_SECRET,
    callbackUrl: receiver.url,
    deliveryLogLimit: 20_000,
  });
  const worker = await runWorker(
    () =>
      createVerificationWorker({
        connection: lab.native,
        taskQueue,
        activities: createActivities({ caliza: calizaClientFor(sandbox, logger) }),
        workflowBundlePath: options.workflowBundlePath,
        tuning: options.tuning,
      }),
    taskQueue,
  );
  return {
    taskQueue,
    sandbox,
    caliza: calizaClientFor(sandbox),
    verifications,
    receiver,
    worker,
    delivered,
    deliveries,
    close: async () => {
      await worker.stop();
      await sandbox.close();
      await receiver.close();
    },
  };
}
