import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { searchAttributeCliArgs } from '../search-attributes';
import { freePort } from './free-port';
import { temporalCliPath } from './tool-paths';

export interface DevServerOptions {
  /** gRPC port; 0 picks a free one. */
  port?: number;
  /** Web UI port; null runs headless. */
  uiPort?: number | null;
  /** SQLite file that keeps data across restarts; in memory when absent. */
  dbFilename?: string;
  namespace?: string;
  /** Extra `temporal server start-dev` arguments, e.g. `--ui-codec-endpoint`. */
  extraArgs?: string[];
  /** Where the server's own output goes. */
  stdio?: 'inherit' | 'ignore';
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` with this project's search attributes and waits until it answers. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const executable = temporalCliPath();
  if (!existsSync(executable)) {
    throw new Error(
      `Temporal CLI not found at ${executable}: run \`npm run setup:servers\` or set TEMPORAL_CLI_PATH`,
    );
  }
  const port = options.port || (await freePort());
  const namespace = options.namespace ?? 'default';
  const uiPort = options.uiPort === undefined ? null : options.uiPort;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    // The server's version check calls out to the internet.
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    ...(uiPort === null ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(options.dbFilename ? ['--db-filename', options.dbFilename] : []),
    ...searchAttributeCliArgs(),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(executable, args, { stdio: options.stdio ?? 'ignore' });
  const address = `127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`temporal dev server exited early (code ${code}, signal ${signal})`)),
    ),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([waitUntilServing(address, namespace, options.startTimeoutMs ?? 60_000), exited]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    namespace,
    uiUrl: uiPort === null ? null : `http://127.0.0.1:${uiPort}`,
    process: child,
    stop: () => stopProcess(child),
  };
}

async function waitUntilServing(address: string, namespace: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        // The namespace and search attributes are registered a moment after the port opens.
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`temporal dev server at ${address} not ready: ${String(err)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** SIGTERM, then SIGKILL if the process has not exited within the grace time. */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
