import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { workflowBundle } from './temporal';

/** Caliza settings a worker process reads from its environment. */
export interface WorkerCaliza {
  apiBaseUrl: string;
  tokenUrl: string;
  credentials: { clientId: string; clientSecret: string; username: string; password: string };
}

export interface WorkerProcessOptions {
  address: string;
  taskQueue: string;
  caliza: WorkerCaliza;
  /** Default `info`. */
  logLevel?: string;
  /** More variables, e.g. `CALIZA_TIMEOUT_MS` or `PAYLOAD_ENCRYPTION_KEYS`. */
  env?: Record<string, string>;
  /** Longest wait for the `worker started` line. Default 60 s. */
  startTimeoutMs?: number;
}

/**
 * A production worker (`src/worker.ts`) in a process group of its own. tsx's command line runs the script
 * in a second Node process, so signals go to the whole group: a SIGKILL then reaches the process that
 * actually runs the worker, which is a real crash.
 */
export interface WorkerProcess {
  readonly pid: number;
  /** Every line it printed on stdout and stderr, across its whole life. */
  readonly lines: string[];
  readonly process: ChildProcess;
  /** No chance to clean up: in-flight workflow tasks are lost, the sticky queue is left orphaned. */
  kill(): Promise<void>;
  /** SIGTERM: the worker drains and exits. SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Children of this test file, so a failing test still leaves none behind (see `killAllWorkers`). */
const running = new Set<WorkerProcess>();
/** Process groups started here; killed when Jest's process exits, whatever the way out. */
const groups = new Set<number>();
process.once('exit', () => {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
});

/**
 * A clean environment: only what Node needs plus the worker's own variables, so the developer's
 * `TEMPORAL_*` settings or a Temporal profile cannot point the worker elsewhere.
 */
function workerEnv(options: WorkerProcessOptions): NodeJS.ProcessEnv {
  const { caliza } = options;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: options.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    // The bundle the Jest global setup built: the worker starts in a second instead of bundling again.
    WORKFLOW_BUNDLE_PATH: workflowBundle().codePath,
    CALIZA_API_BASE_URL: caliza.apiBaseUrl,
    CALIZA_TOKEN_URL: caliza.tokenUrl,
    CALIZA_CLIENT_ID: caliza.credentials.clientId,
    CALIZA_CLIENT_SECRET: caliza.credentials.clientSecret,
    CALIZA_USERNAME: caliza.credentials.username,
    CALIZA_PASSWORD: caliza.credentials.password,
    LOG_LEVEL: options.logLevel ?? 'info',
    // Workers run side by side: each admin server on a free port.
    ADMIN_PORT: '0',
    ...options.env,
  };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  return env;
}

function collectLines(child: ChildProcess, lines: string[], onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        if (line.trim() === '') continue;
        lines.push(line);
        onLine(line);
      }
    });
    stream.on('end', () => {
      if (partial.trim() !== '') lines.push(partial);
      partial = '';
    });
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `node …/tsx/dist/cli.mjs src/worker.ts` and waits for its `worker started` log line. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  return startServiceProcess({
    script: 'src/worker.ts',
    env: workerEnv(options),
    readyMessage: 'worker started',
    startTimeoutMs: options.startTimeoutMs,
  });
}

export interface ServiceProcessOptions {
  /** Relative to the project root, run through tsx. */
  script: string;
  /** The whole environment of the process. */
  env: NodeJS.ProcessEnv;
  /** The `msg` of the JSON log line that says it is ready. */
  readyMessage: string;
  /** Default 60 s. */
  startTimeoutMs?: number;
}

/**
 * One of the service's processes (worker, webhook receiver) in a process group of its own; resolves once
 * it logged `readyMessage`. Killed with the rest of this file's processes by `killAllWorkers`.
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<WorkerProcess> {
  const name = options.script;
  const lines: string[] = [];
  let announceStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    announceStarted = resolve;
  });
  const child = spawn(
    process.execPath,
    [path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'), options.script],
    { cwd: PROJECT_ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const readyLine = `"msg":${JSON.stringify(options.readyMessage)}`;
  collectLines(child, lines, (line) => {
    if (line.includes(readyLine)) announceStarted();
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`the ${name} process did not start`);
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone already.
    }
  };

  // A group id is never signalled once its processes are gone: the id could belong to someone else by then.
  const forget = (): void => {
    running.delete(worker);
    groups.delete(pid);
  };
  const worker: WorkerProcess = {
    pid,
    lines,
    process: child,
    kill: async () => {
      const done = exited(child);
      signalGroup('SIGKILL');
      await done;
      forget();
    },
    stop: async (graceMs = 15_000) => {
      const done = exited(child);
      if (child.exitCode === null && child.signalCode === null) signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
      // tsx's launcher exits with its child; anything left in the group is killed.
      signalGroup('SIGKILL');
      forget();
    },
  };
  running.add(worker);
  groups.add(pid);

  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const failure = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} not started within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) =>
      reject(
        new Error(`${name} exited before starting (code ${code}, signal ${signal}): ${lines.slice(-5)}`),
      ),
    );
  });
  try {
    await Promise.race([started, failure]);
  } catch (err) {
    await worker.kill();
    throw err;
  } finally {
    clearTimeout(timer);
    failure.catch(() => undefined);
  }
  return worker;
}

/** SIGKILLs every worker process this file started and has not stopped yet; for `afterAll`. */
export async function killAllWorkers(): Promise<void> {
  await Promise.all([...running].map((worker) => worker.kill()));
}

/** The JSON log lines a worker printed (lines that are not JSON are skipped). */
export function jsonLines(lines: readonly string[]): Record<string, unknown>[] {
  const parsed: Record<string, unknown>[] = [];
  for (const line of lines) {
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === 'object') parsed.push(value as Record<string, unknown>);
    } catch {
      // Not JSON: a stray line from Node itself.
    }
  }
  return parsed;
}
