/**
 * The embedded stack the end-to-end and receiver sections run on, in this process: the Temporal dev server
 * (a child process), the Caliza sandbox double, the real worker with the real activities and Caliza client,
 * and the real webhook receiver. Only 127.0.0.1 is ever listened on or called.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { CalizaClient } from '../src/caliza';
import type { VerificationClient } from '../src/client';
import type { VerificationEvent } from '../src/contracts';
import { freePort } from '../dev/free-port';
import { startDevServer } from '../dev/temporal-dev-server';
import { type SandboxHandle, type SandboxOptions, calizaConfigFor, startSandbox } from '../caliza-double';
import { TEMPORAL_SERVICES, clusterLayout } from '../scripts/cluster/layout';
import { servicePid } from '../scripts/cluster/cluster';
import { VerificationService } from '../src/service/service';
import type { VerificationWorkerOptions } from '../src/service/verification-worker';
import type { EventDelivery, RunningWebhookReceiver } from '../src/webhooks';
import { embeddedConfig, webhookSettings } from '../src/service/config';

export type WorkerTuning = NonNullable<VerificationWorkerOptions['tuning']>;

export const BENCH_WEBHOOK_SECRET = `whsec_bench_${'0'.repeat(40)}`;

/** Where the sections that need a Temporal server run: the dev server, or the self-hosted cluster. */
export type LabServer = 'dev' | 'cluster';

/** The Temporal server and the client-side connections every section on it shares. */
export interface TemporalLab {
  /** What the report calls the server, e.g. "Temporal dev server". */
  kind: string;
  address: string;
  /** The server's Prometheus endpoints (one per service on the cluster). */
  metricsUrls: string[];
  /** The server's processes, for their CPU time: name → pid. */
  serverPids(): Record<string, number>;
  client: Client;
  native: NativeConnection;
  close(): Promise<void>;
}

async function connect(
  address: string,
): Promise<{ client: Client; native: NativeConnection; close(): Promise<void> }> {
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    native,
    close: async () => {
      await connection.close().catch(() => undefined);
      await native.close().catch(() => undefined);
    },
  };
}

async function startDevServerLab(): Promise<TemporalLab> {
  const metricsPort = await freePort();
  const server = await startDevServer({
    stdio: 'ignore',
    extraArgs: ['--metrics-port', String(metricsPort)],
  });
  const connections = await connect(server.address);
  return {
    kind: 'Temporal dev server',
    address: server.address,
    metricsUrls: [`http://127.0.0.1:${metricsPort}/metrics`],
    serverPids: (): Record<string, number> => {
      const pid = server.process.pid;
      return pid === undefined ? {} : { 'Temporal dev server': pid };
    },
    ...connections,
    close: async () => {
      await connections.close();
      await server.stop();
    },
  };
}

/**
 * The self-hosted cluster of `npm run cluster -- up` (PostgreSQL and one process per Temporal service),
 * already running: the benchmark neither starts nor stops it.
 */
async function clusterLab(): Promise<TemporalLab> {
  const layout = clusterLayout();
  const pids = () =>
    Object.fromEntries(
      TEMPORAL_SERVICES.flatMap((service) => {
        const pid = servicePid(layout, service);
        return pid === null ? [] : [[`Temporal ${service}`, pid] as const];
      }),
    );
  if (Object.keys(pids()).length !== TEMPORAL_SERVICES.length) {
    throw new Error(`the self-hosted cluster is not running at ${layout.address}: npm run cluster -- up`);
  }
  const connections = await connect(layout.address);
  return {
    kind: 'self-hosted cluster (PostgreSQL)',
    address: layout.address,
    metricsUrls: TEMPORAL_SERVICES.map((s) => `http://127.0.0.1:${layout.services[s].metrics}/metrics`),
    serverPids: pids,
    ...connections,
  };
}

export async function startTemporalLab(server: LabServer = 'dev'): Promise<TemporalLab> {
  return server === 'cluster' ? clusterLab() : startDevServerLab();
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

export async function startVerificationStack(options: VerificationStackOptions): Promise<VerificationStack> {
  const { lab, logger } = options;
  const taskQueue = `bench-kyc-${randomUUID()}`;
  const delivered = new Map<string, number>();
  const deliveries = { accepted: 0, alreadyEnded: 0 };
  const timed = (delivery: EventDelivery): EventDelivery => ({
    deliverEvent: async (event: VerificationEvent) => {
      const result = await delivery.deliverEvent(event);
      if (!delivered.has(event.beneficiaryId)) delivered.set(event.beneficiaryId, Date.now());
      if (result === 'ACCEPTED') deliveries.accepted += 1;
      else deliveries.alreadyEnded += 1;
      return result;
    },
  });
  const sandbox = await startSandbox({
    ...options.sandbox,
    webhookSecret: BENCH_WEBHOOK_SECRET,
    deliveryLogLimit: 20_000,
  });
  // Worker and receiver as production assembles them, on the lab's dev server.
  const service = new VerificationService(
    embeddedConfig({
      temporal: { connectionOptions: { address: lab.address }, namespace: 'default', taskQueue },
      caliza: calizaConfigFor(sandbox),
      webhooks: webhookSettings({ port: 0, host: '127.0.0.1', secrets: [BENCH_WEBHOOK_SECRET] }),
      workflowBundlePath: options.workflowBundlePath,
    }),
    { logger, wrapDelivery: timed },
  );
  const receiver = await service.startWebhooks();
  const caliza = new CalizaClient(calizaConfigFor(sandbox));
  await caliza.setWebhookUrl((await caliza.getIntegrator()).id, receiver.url);
  const running = await service.startWorker(options.tuning);
  const worker: RunningWorker = {
    worker: running.worker,
    taskQueue,
    stop: async () => {
      if (running.worker.getState() === 'RUNNING') running.worker.shutdown();
      await running.done.catch(() => undefined);
    },
  };
  return {
    taskQueue,
    sandbox,
    caliza,
    verifications: await service.verifications(),
    receiver,
    worker,
    delivered,
    deliveries,
    close: async () => {
      await worker.stop();
      await sandbox.close();
      await service.close();
    },
  };
}
