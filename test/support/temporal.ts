import { randomUUID } from 'node:crypto';
import { Connection, Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { VerificationClient } from '../../src/client';
import type { VerificationActivities } from '../../src/contracts';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/search-attributes';
import { timeSkippingServerPath } from '../../dev/tool-paths';
import { workerTracingOptions } from '../../src/service/tracing';

let runtimeInstalled = false;
/** Quiet SDK logs in tests; each Jest file has its own module registry, so once per file. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    // Core warns on every worker that the Java test server lacks a capability this project does not use.
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  runtimeInstalled = true;
}

export function workflowBundle(): { codePath: string } {
  const codePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!codePath)
    throw new Error('TEST_WORKFLOW_BUNDLE is not set: run the tests through jest (global setup)');
  return { codePath };
}

export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/** The Java time-skipping server, spawned by the SDK, with this project's search attributes registered. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: timeSkippingServerPath() } },
  });
  // The Java test server has no listSearchAttributes, so the registration helper cannot be used here.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type) ?? 0]),
    ),
  });
  return env;
}

/** Connections to the dev server that the global setup started. */
export async function connectToDevServer(): Promise<{
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}> {
  installQuietRuntime();
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the tests through jest (global setup)');
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    nativeConnection,
    close: async () => {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

export async function createTestWorker(
  connection: NativeConnection,
  options: Omit<WorkerOptions, 'connection' | 'workflowBundle' | 'workflowsPath'>,
): Promise<Worker> {
  // The bundle holds the tracing interceptors, whose span sink must be there (tracing itself stays off).
  return Worker.create({
    connection,
    workflowBundle: workflowBundle(),
    sinks: workerTracingOptions(null).sinks,
    ...options,
  });
}

/** Runs `body` with a worker on a fresh task queue serving `activities`, and a client for that queue. */
export async function withVerificationWorker<T>(
  connection: NativeConnection,
  client: Client,
  activities: VerificationActivities,
  body: (verification: VerificationClient) => Promise<T>,
): Promise<T> {
  const taskQueue = uniqueTaskQueue();
  const worker = await createTestWorker(connection, { taskQueue, activities });
  return worker.runUntil(body(new VerificationClient(client, { taskQueue })));
}
