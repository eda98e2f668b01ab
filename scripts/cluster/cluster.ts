/**
 * The project's self-hosted Temporal cluster: PostgreSQL 15 plus the frontend, history, matching and worker
 * services as four processes of one server binary, one shared config plus a per-service overlay. Every
 * step is idempotent: `clusterUp` starts what is not running and leaves the rest alone.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { isAlive } from '../../dev/dev-server-pid-file';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { registerSearchAttributes } from '../../src/ops/search-attribute-registration';
import { type ClusterLayout, TEMPORAL_SERVICES, type TemporalService } from './layout';
import { ensureSchemas, postgresRunning, startPostgres, stopPostgres } from './postgres';

const TEMPLATE_DIR = path.join(PROJECT_ROOT, 'scripts', 'cluster', 'config');
/** How long closed workflows stay in the cluster's namespace. */
const RETENTION = '3 days';
/** `system.namespaceCacheRefreshInterval` (2 s): every service sees a namespace change within it. */
const NAMESPACE_CACHE_REFRESH_MS = 2_000;

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

function pidFile(layout: ClusterLayout, service: TemporalService): string {
  return path.join(layout.dataDir, 'run', `${service}.pid`);
}

export function serviceLogPath(layout: ClusterLayout, service: TemporalService): string {
  return path.join(layout.logDir, `${service}.log`);
}

/** The end of a service's log, for an error message. */
export function lastLogLines(layout: ClusterLayout, service: TemporalService, count = 3): string {
  const file = serviceLogPath(layout, service);
  if (!existsSync(file)) return `no log at ${file}`;
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count);
  return `${lines.map((line) => line.slice(0, 300)).join(' | ')} (${file})`;
}

/** The pid of this cluster's `service` process, if one runs (its command line names our binary and root). */
export function servicePid(layout: ClusterLayout, service: TemporalService): number | null {
  const file = pidFile(layout, service);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid)) return null;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const ours = argv[0] === layout.serverBin && argv.includes(layout.dataDir) && argv.includes(service);
    return ours ? pid : null;
  } catch {
    // No /proc (not Linux): trust the pid file.
    return pid;
  }
}

/** base.yaml and the dynamic config from scripts/cluster/config, and one overlay per service. */
export function renderConfig(layout: ClusterLayout): void {
  mkdirSync(layout.configDir, { recursive: true });
  const dynamicConfigPath = path.join(layout.configDir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfigPath, readFileSync(path.join(TEMPLATE_DIR, 'dynamicconfig.yaml'), 'utf8'));
  const values: Record<string, string | number> = {
    PG_PORT: layout.pgPort,
    FRONTEND_HTTP_PORT: layout.frontendHttpPort,
    DYNAMIC_CONFIG_PATH: dynamicConfigPath,
  };
  for (const service of TEMPORAL_SERVICES) {
    const upper = service.toUpperCase();
    values[`${upper}_PORT`] = layout.services[service].grpc;
    values[`${upper}_MEMBERSHIP_PORT`] = layout.services[service].membership;
  }
  const base = readFileSync(path.join(TEMPLATE_DIR, 'base.yaml'), 'utf8').replace(
    /\$\{([A-Z_]+)\}/g,
    (match, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`base.yaml: no value for ${match}`);
      return String(value);
    },
  );
  writeFileSync(path.join(layout.configDir, 'base.yaml'), base);
  for (const service of TEMPORAL_SERVICES) {
    writeFileSync(
      path.join(layout.configDir, `${service}.yaml`),
      [
        `# Only what differs for the ${service} process; everything else is in base.yaml.`,
        'global:',
        '  metrics:',
        '    prometheus:',
        `      listenAddress: '127.0.0.1:${layout.services[service].metrics}'`,
        '',
      ].join('\n'),
    );
  }
}

/** Starts one service process, detached, its output appended to logs/<service>.log. */
export function startService(layout: ClusterLayout, service: TemporalService): number {
  const running = servicePid(layout, service);
  if (running) return running;
  if (!existsSync(layout.serverBin)) {
    throw new Error(`${layout.serverBin} is missing: run \`bash scripts/cluster/install.sh\``);
  }
  mkdirSync(layout.logDir, { recursive: true });
  mkdirSync(path.dirname(pidFile(layout, service)), { recursive: true });
  const log = openSync(serviceLogPath(layout, service), 'a');
  try {
    const child = spawn(
      layout.serverBin,
      [
        '--root',
        layout.dataDir,
        '--config',
        'config',
        '--env',
        service,
        '--allow-no-auth',
        'start',
        '--service',
        service,
      ],
      { cwd: layout.dataDir, detached: true, stdio: ['ignore', log, log] },
    );
    child.unref();
    if (child.pid === undefined) throw new Error(`the ${service} process did not start`);
    writeFileSync(pidFile(layout, service), `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * SIGTERM (the service leaves the membership ring and drains), SIGKILL after `graceMs`; or SIGKILL at
 * once, a crash. Resolves once the process is gone.
 */
export async function stopService(
  layout: ClusterLayout,
  service: TemporalService,
  signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM',
  graceMs = 15_000,
): Promise<void> {
  const pid = servicePid(layout, service);
  if (pid) {
    process.kill(pid, signal);
    if (!(await waitForExit(pid, signal === 'SIGKILL' ? 5_000 : graceMs))) {
      process.kill(pid, 'SIGKILL');
      await waitForExit(pid, 5_000);
    }
  }
  rmSync(pidFile(layout, service), { force: true });
}

/** Resolves with `fn`'s value, or rejects when it takes longer than `ms` (each probe is short). */
async function withDeadline<T>(connection: Connection, ms: number, fn: () => Promise<T>): Promise<T> {
  return connection.withDeadline(Date.now() + ms, fn);
}

/** gRPC code of an error from the SDK's connection, if it has one. */
function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export interface ServiceHealth {
  service: TemporalService;
  pid: number | null;
  /** What answered through the frontend: each of frontend, history and matching is exercised. */
  serving: boolean;
  detail?: string;
}

/**
 * One short probe per service through the frontend: its health check; a history read of a workflow that
 * does not exist (NOT_FOUND comes from history itself); a task queue description (from matching). The
 * worker service has no public API: its process is checked.
 */
export async function probeServices(layout: ClusterLayout, connection: Connection): Promise<ServiceHealth[]> {
  const probe = async (service: TemporalService, fn: () => Promise<unknown>): Promise<ServiceHealth> => {
    const pid = servicePid(layout, service);
    try {
      await withDeadline(connection, 2_000, fn);
      return { service, pid, serving: pid !== null };
    } catch (err) {
      return { service, pid, serving: false, detail: err instanceof Error ? err.message : String(err) };
    }
  };
  const namespace = layout.namespace;
  return Promise.all([
    probe('frontend', async () => {
      const answer = await connection.healthService.check({});
      if (answer.status !== 1) throw new Error(`health status ${answer.status}`);
    }),
    probe('history', async () => {
      try {
        await connection.workflowService.getWorkflowExecutionHistory({
          namespace,
          execution: { workflowId: 'cluster-probe-does-not-exist' },
        });
      } catch (err) {
        if (grpcCode(err) !== 5 /* NOT_FOUND */) throw err;
      }
    }),
    probe('matching', () =>
      connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: 'cluster-probe' },
        taskQueueType: 1,
      }),
    ),
    probe('worker', async () => undefined),
  ]);
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`; fails early when `alive` says no. */
async function waitForPort(
  port: number,
  timeoutMs: number,
  alive: () => boolean,
  why: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (!alive()) throw new Error(`the process meant to listen on port ${port} exited: ${why()}`);
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function connect(layout: ClusterLayout): Promise<Connection> {
  return Connection.connect({ address: layout.address, connectTimeout: 1_000 });
}

/** Waits until every service (or those in `only`) answers its probe; the last answers are in the error. */
export async function waitUntilServing(
  layout: ClusterLayout,
  {
    timeoutMs = 60_000,
    only = TEMPORAL_SERVICES,
  }: { timeoutMs?: number; only?: readonly TemporalService[] } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'the frontend does not accept connections';
  for (;;) {
    let connection: Connection | null = null;
    try {
      connection = await connect(layout);
      const health = await probeServices(layout, connection);
      const failing = health.filter((h) => only.includes(h.service) && !h.serving);
      if (failing.length === 0) return;
      last = failing
        .map((h) => `${h.service}: ${h.pid ? (h.detail ?? 'not serving') : 'no process'}`)
        .join('; ');
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    } finally {
      await connection?.close().catch(() => undefined);
    }
    if (Date.now() > deadline) {
      throw new Error(`cluster at ${layout.address} not serving after ${timeoutMs} ms: ${last}`);
    }
    await sleep(200);
  }
}

/** Registers the namespace (if missing) and the project's search attributes on it (SQL visibility: per namespace). */
export async function ensureNamespace(layout: ClusterLayout, timeoutMs = 30_000): Promise<string[]> {
  const connection = await connect(layout);
  try {
    const namespace = layout.namespace;
    let changed = false;
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch (err) {
      if (grpcCode(err) !== 5 /* NOT_FOUND */) throw err;
      try {
        await connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs(RETENTION),
          description: 'caliza-kyc-temporal',
        });
      } catch (registerErr) {
        if (grpcCode(registerErr) !== 6 /* ALREADY_EXISTS */) throw registerErr;
      }
      changed = true;
    }
    // The frontend's namespace cache catches up within its refresh interval.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const registration = await registerSearchAttributes(connection.operatorService, namespace);
        // History validates upserts against its own namespace cache: give it one refresh.
        if (changed || registration.added.length > 0) await sleep(NAMESPACE_CACHE_REFRESH_MS + 500);
        return registration.added;
      } catch (err) {
        if (grpcCode(err) !== 5 || Date.now() > deadline) throw err;
        await sleep(250);
      }
    }
  } finally {
    await connection.close();
  }
}

export interface ClusterStatus {
  address: string;
  namespace: string;
  postgres: { port: number; running: boolean };
  services: ServiceHealth[];
}

export async function clusterStatus(layout: ClusterLayout): Promise<ClusterStatus> {
  const postgres = { port: layout.pgPort, running: await postgresRunning(layout) };
  let services: ServiceHealth[];
  let connection: Connection | null = null;
  try {
    connection = await connect(layout);
    services = await probeServices(layout, connection);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    services = TEMPORAL_SERVICES.map((service) => ({
      service,
      pid: servicePid(layout, service),
      serving: false,
      detail,
    }));
  } finally {
    await connection?.close().catch(() => undefined);
  }
  return { address: layout.address, namespace: layout.namespace, postgres, services };
}

/** Starts whatever part of the four services is not running and waits until all serve. */
export async function startServices(layout: ClusterLayout, timeoutMs = 60_000): Promise<void> {
  renderConfig(layout);
  for (const service of TEMPORAL_SERVICES) startService(layout, service);
  await waitUntilServing(layout, { timeoutMs });
}

/** Stops the four services, frontend first (no new requests), then the rest together. */
export async function stopServices(
  layout: ClusterLayout,
  signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM',
): Promise<void> {
  await stopService(layout, 'frontend', signal);
  await Promise.all(
    TEMPORAL_SERVICES.filter((s) => s !== 'frontend').map((s) => stopService(layout, s, signal)),
  );
}

/**
 * From nothing (or any part running) to a serving cluster with the namespace and its search attributes:
 * PostgreSQL, both schemas, the four services.
 */
export async function clusterUp(layout: ClusterLayout): Promise<ClusterStatus> {
  await startPostgres(layout);
  await ensureSchemas(layout);
  renderConfig(layout);
  // Each process writes the cluster metadata record on its first start, and on a new database the four
  // race for it (the losers exit with "SaveClusterMetadata encountered version mismatch"): history goes
  // first, the other three once it listens (it has written the record by then). Not the frontend first:
  // it reports itself healthy only once it reaches history.
  startService(layout, 'history');
  await waitForPort(
    layout.services.history.grpc,
    60_000,
    () => servicePid(layout, 'history') !== null,
    () => lastLogLines(layout, 'history'),
  );
  for (const service of TEMPORAL_SERVICES) startService(layout, service);
  await waitUntilServing(layout, { only: ['frontend'] });
  // The history and matching probes need the namespace.
  await ensureNamespace(layout);
  await waitUntilServing(layout);
  return clusterStatus(layout);
}

/** Stops the services and PostgreSQL; the data stays (remove CLUSTER_DATA_DIR to start afresh). */
export async function clusterDown(layout: ClusterLayout): Promise<void> {
  await stopServices(layout);
  await stopPostgres(layout, 'fast');
}
