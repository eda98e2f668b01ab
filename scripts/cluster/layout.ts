/**
 * Where the project's self-hosted cluster lives: binaries in .tools/cluster/bin (scripts/cluster/install.sh),
 * data, rendered config, pid files and logs in .data/cluster, all on loopback ports of its own.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/tool-paths';

export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

export interface ServicePorts {
  grpc: number;
  membership: number;
  metrics: number;
}

export interface ClusterLayout {
  /** Everything the cluster writes: PostgreSQL's data, config, pid files, logs. */
  dataDir: string;
  binDir: string;
  serverBin: string;
  sqlBin: string;
  /** PostgreSQL 15's binaries (Debian's). */
  pgBin: string;
  pgPort: number;
  pgDataDir: string;
  /** Socket and log of PostgreSQL: a folder the `postgres` OS user owns when the scripts run as root. */
  pgRunDir: string;
  configDir: string;
  logDir: string;
  services: Record<TemporalService, ServicePorts>;
  frontendHttpPort: number;
  namespace: string;
  /** Where clients connect: the frontend. */
  address: string;
  /** The schema files shipped in the server module (`go env GOMODCACHE`). */
  serverVersion: string;
}

export const SERVER_VERSION = '1.29.1';

function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1024 || value > 65_000) {
    throw new Error(`${name} must be a port from 1024 to 65000`);
  }
  return value;
}

/**
 * The layout from the environment: CLUSTER_DATA_DIR, CLUSTER_PORT (the frontend; the other services take
 * the next ports, as 7233/7234/7235/7239 do in Temporal's own configs), CLUSTER_PG_PORT, CLUSTER_PG_BIN
 * and CLUSTER_NAMESPACE.
 */
export function clusterLayout(env: NodeJS.ProcessEnv = process.env): ClusterLayout {
  const dataDir = path.resolve(env.CLUSTER_DATA_DIR?.trim() || path.join(PROJECT_ROOT, '.data', 'cluster'));
  const binDir = path.join(PROJECT_ROOT, '.tools', 'cluster', 'bin');
  const frontend = portFrom(env, 'CLUSTER_PORT', 17_233);
  const offsets: Record<TemporalService, number> = { frontend: 0, history: 1, matching: 2, worker: 6 };
  const services = Object.fromEntries(
    Object.entries(offsets).map(([service, offset], index) => [
      service,
      { grpc: frontend + offset, membership: frontend - 300 + offset, metrics: frontend + 60 + index },
    ]),
  ) as Record<TemporalService, ServicePorts>;
  return {
    dataDir,
    binDir,
    serverBin: path.join(binDir, 'server'),
    sqlBin: path.join(binDir, 'sql'),
    pgBin: env.CLUSTER_PG_BIN?.trim() || '/usr/lib/postgresql/15/bin',
    pgPort: portFrom(env, 'CLUSTER_PG_PORT', 15_433),
    pgDataDir: path.join(dataDir, 'postgres'),
    pgRunDir: path.join(dataDir, 'postgres-run'),
    configDir: path.join(dataDir, 'config'),
    logDir: path.join(dataDir, 'logs'),
    services,
    frontendHttpPort: frontend + 10,
    namespace: env.CLUSTER_NAMESPACE?.trim() || 'default',
    address: `127.0.0.1:${frontend}`,
    serverVersion: SERVER_VERSION,
  };
}
