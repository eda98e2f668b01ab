import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { searchAttributeCliArgs } from '../src/search-attributes';
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
  /**
   * Where the server's own output goes. With 'pipe', each line goes to `onOutput` and the last lines are
   * quoted in the error when the server exits before it is ready.
   */
  stdio?: 'inherit' | 'ignore' | 'pipe';
  onOutput?: (line: string) => void;
  /**
   * Run the server in its own process group, so that a Ctrl-C in the terminal reaches only the launcher,
   * which then stops its clients first and this server last.
   */
  detached?: boolean;
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
  const uiPort =
    options.uiPort === undefined || options.uiPort === null ? null : options.uiPort || (await freePort());
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
  const stdio = options.stdio ?? 'ignore';
  const child = spawn(executable, args, {
    stdio: stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : stdio,
    detached: options.detached ?? false,
  });
  const recentOutput = stdio === 'pipe' ? collectOutput(child, options.onOutput) : [];
  const address = `127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) =>
    // 'close' waits for the output streams to drain, so the last lines are in the message.
    child.once(stdio === 'pipe' ? 'close' : 'exit', (code: number | null, signal: NodeJS.Signals | null) => {
      const output = recentOutput.length > 0 ? `: ${recentOutput.join(' | ')}` : '';
      reject(new Error(`temporal dev server exited early (code ${code}, signal ${signal})${output}`));
    }),
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

/** Forwards output lines and keeps the last few for an error message. */
function collectOutput(child: ChildProcess, onOutput?: (line: string) => void): string[] {
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        recent.push(line.trim());
        if (recent.length > 5) recent.shift();
        onOutput?.(line);
      }
    });
  }
  return recent;
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
