/**
 * Where the project's self-hosted cluster lives: binaries in .tools/cluster/bin (scripts/cluster/install.sh),
 * data, rendered config, pid files and logs in .data/cluster, all on loopback ports of its own.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { EnvReader } from '../../src/env-readers';

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

/**
 * The layout from the environment: CLUSTER_DATA_DIR, CLUSTER_PORT (the frontend; the other services take
 * the next ports, as 7233/7234/7235/7239 do in Temporal's own configs), CLUSTER_PG_PORT, CLUSTER_PG_BIN
 * and CLUSTER_NAMESPACE.
 */
export function clusterLayout(env: NodeJS.ProcessEnv = process.env): ClusterLayout {
  const read = new EnvReader(env);
  // Below 1024 needs root; the highest is 65000 so that the ports derived from it stay valid.
  const frontend = read.integer('CLUSTER_PORT', 1024, 65_000) ?? 17_233;
  const pgPort = read.integer('CLUSTER_PG_PORT', 1024, 65_000) ?? 15_433;
  const dataDir = path.resolve(read.text('CLUSTER_DATA_DIR') ?? path.join(PROJECT_ROOT, '.data', 'cluster'));
  const pgBin = read.text('CLUSTER_PG_BIN') ?? '/usr/lib/postgresql/15/bin';
  const namespace = read.text('CLUSTER_NAMESPACE') ?? 'default';
  read.throwIfAny();
  const binDir = path.join(PROJECT_ROOT, '.tools', 'cluster', 'bin');
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
    pgBin,
    pgPort,
    pgDataDir: path.join(dataDir, 'postgres'),
    pgRunDir: path.join(dataDir, 'postgres-run'),
    configDir: path.join(dataDir, 'config'),
    logDir: path.join(dataDir, 'logs'),
    services,
    frontendHttpPort: frontend + 10,
    namespace,
    address: `127.0.0.1:${frontend}`,
    serverVersion: SERVER_VERSION,
  };
}
