/**
 * The whole service in one process: Temporal (a dev server it starts, or an existing service), Caliza (the
 * sandbox double it starts, or a configured API), the worker and the webhook receiver, wired together.
 * `npm start` runs it from the environment; tests and benchmarks embed it with their own ports.
 */
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { NativeConnectionOptions, Worker } from '@temporalio/worker';
import { CalizaClient, type CalizaConfig } from '../src/caliza';
import { VerificationClient } from '../src/client/verification-client';
import { type CodecServerHandle, startCodecServer } from '../src/codec';
import { DEFAULT_TASK_QUEUE } from '../src/contracts';
import { createLogger, type Logger } from '../src/logger';
import { registerSearchAttributes } from '../src/ops/search-attribute-registration';
import { type SandboxHandle, type SandboxOptions, calizaConfigFor, startSandbox } from '../caliza-double';
import { VerificationService } from '../src/service/service';
import type { RunningWebhookReceiver } from '../src/webhooks';
import { embeddedConfig, webhookSettings } from '../src/service/config';
import { freePort } from './free-port';
import { type DevServer, startDevServer } from './temporal-dev-server';
import { bundleVerificationWorkflows } from './workflow-bundle';

export interface DevServerPart {
  kind: 'dev-server';
  /** gRPC port; 0 (the default) picks a free one. */
  port?: number;
  /** Web UI port; 0 picks a free one; null (the default) runs headless. */
  uiPort?: number | null;
  /** SQLite file that keeps workflows across restarts; in memory when absent. */
  dbFilename?: string;
  namespace?: string;
  /** Each line the dev server prints; dropped when absent. */
  onOutput?: (line: string) => void;
  /** Own process group, so a terminal's Ctrl-C reaches only the launcher (which stops the server last). */
  detached?: boolean;
}

export interface ExternalTemporalPart {
  kind: 'external';
  connectionOptions: NativeConnectionOptions;
  namespace: string;
}

export interface SandboxPart {
  kind: 'sandbox';
  options?: SandboxOptions;
}

export interface ConfiguredCalizaPart {
  kind: 'configured';
  config: CalizaConfig;
  /**
   * Register the receiver's URL (or `webhooks.publicUrl`) as the integrator's webhook URL. Off by default:
   * a real Caliza cannot call a receiver on this machine, and its webhook URL is shared configuration.
   */
  registerWebhookUrl?: boolean;
}

export interface WebhookPart {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  path?: string;
  /** Fixed secrets, current first; otherwise the receiver uses the secret Caliza reports. */
  secrets?: string[];
  /** The URL Caliza should call when it is not the receiver's own (a tunnel or a proxy in front of it). */
  publicUrl?: string;
  bodyLimitBytes?: number;
  temporalTimeoutMs?: number;
  retryAfterSeconds?: number;
  secretRefreshMs?: number;
}

export interface StackOptions {
  temporal?: DevServerPart | ExternalTemporalPart;
  caliza?: SandboxPart | ConfiguredCalizaPart;
  webhooks?: WebhookPart;
  taskQueue?: string;
  /** A prebuilt workflow bundle; otherwise the workflows are bundled while the servers start. */
  workflowBundlePath?: string;
  /** Shared by the worker and the clients; with a dev server UI, also served to it by a codec server. */
  payloadCodec?: PayloadCodec;
  /** Port of that codec server; 0 (the default) picks a free one. */
  codecServerPort?: number;
  logger?: Logger;
  onProgress?: (event: StackProgress) => void;
}

export type StackPartName =
  'temporal' | 'search-attributes' | 'workflow-bundle' | 'caliza' | 'codec-server' | 'worker' | 'webhooks';

export interface StackProgress {
  part: StackPartName;
  phase: 'starting' | 'ready';
  detail: string;
  /** Time the part took, on 'ready'. */
  elapsedMs?: number;
}

export interface RunningStack {
  temporal: {
    address: string;
    namespace: string;
    uiUrl: string | null;
    /** Null when an existing Temporal service is used. */
    devServer: DevServer | null;
  };
  caliza: {
    apiBaseUrl: string;
    client: CalizaClient;
    /** Null when it was not needed (fixed secrets and no webhook URL to register). */
    integratorId: string | null;
    /** The webhook URL Caliza has (registered by the stack, or as found), when known. */
    webhookUrl: string | null;
    /** Null when a configured Caliza is used. */
    sandbox: SandboxHandle | null;
  };
  webhooks: RunningWebhookReceiver;
  codecServer: CodecServerHandle | null;
  taskQueue: string;
  client: Client;
  verifications: VerificationClient;
  worker: Worker;
  /** Settles when the worker stops; rejects if it fails on its own. */
  workerDone: Promise<void>;
  /** Stops every part, newest first: receiver, worker, Caliza double, connections, dev server. */
  stop(): Promise<void>;
}

interface Cleanup {
  name: string;
  run(): Promise<void> | void;
}

export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const logger = options.logger ?? createLogger('stack');
  const progress = options.onProgress ?? (() => undefined);
  const cleanups: Cleanup[] = [];
  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup.run();
      } catch (err) {
        logger.warn({ err: errorMessage(err), part: cleanup.name }, 'part failed to stop cleanly');
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'some parts failed to stop cleanly');
  };
  const timed = async <T>(
    part: StackPartName,
    starting: string,
    run: () => Promise<T>,
    ready: (value: T) => string,
  ) => {
    progress({ part, phase: 'starting', detail: starting });
    const started = performance.now();
    const value = await run();
    progress({
      part,
      phase: 'ready',
      detail: ready(value),
      elapsedMs: Math.round(performance.now() - started),
    });
    return value;
  };

  try {
    const temporalPart = options.temporal ?? { kind: 'dev-server' };
    const calizaPart = options.caliza ?? { kind: 'sandbox' };
    const taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;

    // The UI calls the codec server from the browser, so it must exist, with the UI's origin allowed,
    // before the dev server is told where it is.
    let uiPort: number | null = null;
    let codecServer: CodecServerHandle | null = null;
    if (temporalPart.kind === 'dev-server') {
      const requested = temporalPart.uiPort ?? null;
      uiPort = requested === 0 ? await freePort() : requested;
      const codec = options.payloadCodec;
      if (uiPort !== null && codec) {
        const origins = [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`];
        codecServer = await timed(
          'codec-server',
          'starting the payload codec server for the Web UI',
          () => startCodecServer({ codec, port: options.codecServerPort ?? 0, allowedOrigins: origins }),
          (handle) => handle.url,
        );
        const started = codecServer;
        cleanups.push({ name: 'codec server', run: () => started.close() });
      }
    }

    // The three slow parts start together; whatever did start is stopped if another one fails.
    const [devServerResult, sandboxResult, bundleResult] = await Promise.allSettled([
      temporalPart.kind === 'dev-server'
        ? timed(
            'temporal',
            `starting the Temporal dev server${temporalPart.dbFilename ? ` (data in ${temporalPart.dbFilename})` : ' (in memory)'}`,
            () =>
              startDevServer({
                port: temporalPart.port ?? 0,
                uiPort,
                ...(temporalPart.dbFilename && { dbFilename: temporalPart.dbFilename }),
                ...(temporalPart.namespace && { namespace: temporalPart.namespace }),
                ...(codecServer && { extraArgs: ['--ui-codec-endpoint', codecServer.url] }),
                stdio: 'pipe',
                ...(temporalPart.onOutput && { onOutput: temporalPart.onOutput }),
                detached: temporalPart.detached ?? false,
              }).then((server) => {
                const stopOnExit = () => server.process.kill('SIGTERM');
                // A launcher that dies without stopping its parts must not leave the server behind.
                process.once('exit', stopOnExit);
                cleanups.push({
                  name: 'Temporal dev server',
                  run: async () => {
                    process.removeListener('exit', stopOnExit);
                    await server.stop();
                  },
                });
                return server;
              }),
            (server) => server.address,
          )
        : Promise.resolve(null),
      calizaPart.kind === 'sandbox'
        ? timed(
            'caliza',
            'starting the Caliza sandbox double',
            () =>
              startSandbox(calizaPart.options).then((sandbox) => {
                cleanups.push({ name: 'Caliza sandbox double', run: () => sandbox.close() });
                return sandbox;
              }),
            (sandbox) => sandbox.url,
          )
        : Promise.resolve(null),
      options.workflowBundlePath
        ? Promise.resolve(options.workflowBundlePath)
        : timed(
            'workflow-bundle',
            'bundling the workflow code',
            () => bundleToTempFile(cleanups),
            () => 'done',
          ),
    ]);
    const devServer = settled(devServerResult);
    const sandbox = settled(sandboxResult);
    const workflowBundlePath = settled(bundleResult);

    const connectionOptions: NativeConnectionOptions =
      temporalPart.kind === 'external' ? temporalPart.connectionOptions : { address: devServer?.address };
    const namespace =
      temporalPart.kind === 'external' ? temporalPart.namespace : (devServer?.namespace ?? 'default');
    const address = connectionOptions.address ?? 'localhost:7233';

    const calizaConfig = calizaPart.kind === 'configured' ? calizaPart.config : sandboxCalizaConfig(sandbox);
    const caliza = new CalizaClient(calizaConfig, { logger: logger.child({ component: 'caliza' }) });
    if (calizaPart.kind === 'configured') {
      progress({ part: 'caliza', phase: 'ready', detail: `using ${calizaConfig.apiBaseUrl}` });
    }

    // From here on the service is assembled exactly as the production processes assemble it.
    const webhookOptions = options.webhooks ?? {};
    const fixedSecrets = webhookOptions.secrets?.filter((secret) => secret !== '') ?? [];
    const service = new VerificationService(
      embeddedConfig({
        temporal: { connectionOptions, namespace, taskQueue },
        caliza: calizaConfig,
        webhooks: webhookSettings({
          port: webhookOptions.port ?? 0,
          host: webhookOptions.host ?? '127.0.0.1',
          secrets: fixedSecrets,
          ...definedOnly({
            path: webhookOptions.path,
            secretRefreshMs: webhookOptions.secretRefreshMs,
            bodyLimitBytes: webhookOptions.bodyLimitBytes,
            temporalTimeoutMs: webhookOptions.temporalTimeoutMs,
            retryAfterSeconds: webhookOptions.retryAfterSeconds,
          }),
        }),
        payloadCodec: options.payloadCodec ?? null,
        workflowBundlePath,
      }),
      { logger, caliza },
    );
    cleanups.push({ name: 'service', run: () => service.close() });

    const client = await service.client();
    await timed(
      'search-attributes',
      temporalPart.kind === 'external'
        ? `connecting to ${address} (namespace ${namespace}), checking its search attributes`
        : `checking the search attributes of namespace ${namespace}`,
      () => registerSearchAttributes(client.connection.operatorService, namespace),
      (registration) =>
        registration.added.length > 0 ? `added ${registration.added.join(', ')}` : 'all registered',
    );
    const verifications = await service.verifications();

    const { worker, done: workerDone } = await timed(
      'worker',
      `starting the worker on task queue ${taskQueue}`,
      () => service.startWorker(),
      () => `task queue ${taskQueue}`,
    );

    const registerUrl = calizaPart.kind === 'sandbox' || calizaPart.registerWebhookUrl === true;
    const integratorId = fixedSecrets.length === 0 || registerUrl ? (await caliza.getIntegrator()).id : null;
    const receiver = await timed(
      'webhooks',
      'starting the webhook receiver',
      () => service.startWebhooks(),
      (running) => running.url,
    );

    let webhookUrl: string | null = null;
    if (registerUrl && integratorId !== null) {
      webhookUrl = webhookOptions.publicUrl ?? receiver.url;
      await caliza.setWebhookUrl(integratorId, webhookUrl);
    } else if (integratorId !== null) {
      // Only informative: the launcher prints it, so a failure to read it must not stop the service.
      webhookUrl = await caliza.getWebhookUrl(integratorId).catch((err: unknown) => {
        logger.warn({ err: errorMessage(err) }, 'could not read the webhook URL configured at Caliza');
        return null;
      });
    }

    let stopping: Promise<void> | null = null;
    return {
      temporal: { address, namespace, uiUrl: devServer?.uiUrl ?? null, devServer },
      caliza: { apiBaseUrl: calizaConfig.apiBaseUrl, client: caliza, integratorId, webhookUrl, sandbox },
      webhooks: receiver,
      codecServer,
      taskQueue,
      client,
      verifications,
      worker,
      workerDone,
      stop: () => {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

function sandboxCalizaConfig(sandbox: SandboxHandle | null): CalizaConfig {
  if (!sandbox) throw new Error('the Caliza sandbox double did not start');
  return calizaConfigFor(sandbox);
}

/** The entries whose value is set: an unset option keeps the default beneath it. */
function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function settled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** The worker loads its bundle from a file; this one lives only as long as the stack. */
async function bundleToTempFile(cleanups: Cleanup[]): Promise<string> {
  const code = await bundleVerificationWorkflows();
  const file = path.join(os.tmpdir(), `caliza-kyc-workflows-${randomUUID()}.js`);
  writeFileSync(file, code);
  cleanups.push({ name: 'workflow bundle', run: () => rmSync(file, { force: true }) });
  return file;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
