/**
 * The cluster's private PostgreSQL 15: its own data dir and port, loopback only, Temporal's two schemas.
 * PostgreSQL refuses to run as root, so as root every command runs as the `postgres` OS user.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ClusterLayout } from './layout';

const run = promisify(execFile);

/** What the server config's datastores use (loopback only; trust auth, like a dev database). */
const DB_USER = 'temporal';
const DB_PASSWORD = 'temporal';
const DATABASES = [
  { name: 'temporal', schema: 'temporal' },
  { name: 'temporal_visibility', schema: 'visibility' },
] as const;
/** 4 services × (20 + 10) connections, plus room for a restart overlapping the old process's pool. */
const MAX_CONNECTIONS = 200;

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function asRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Runs a PostgreSQL binary, as the `postgres` user when this process is root. */
async function pg(layout: ClusterLayout, binary: string, args: string[]): Promise<string> {
  const file = path.join(layout.pgBin, binary);
  if (!asRoot()) return (await run(file, args)).stdout;
  const command = [file, ...args].map(shellQuote).join(' ');
  return (await run('su', ['postgres', '-s', '/bin/sh', '-c', command])).stdout;
}

function ownedByPostgres(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!asRoot()) return;
  // Debian's postgresql package creates this user.
  const id = (flag: string): number =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(dir, id('-u'), id('-g'));
}

export function postgresLogPath(layout: ClusterLayout): string {
  return path.join(layout.pgRunDir, 'postgres.log');
}

/** Whether the postmaster of this data dir runs (its pid file names a live process). */
export async function postgresRunning(layout: ClusterLayout): Promise<boolean> {
  if (!existsSync(path.join(layout.pgDataDir, 'PG_VERSION'))) return false;
  try {
    await pg(layout, 'pg_ctl', ['-D', layout.pgDataDir, 'status']);
    return true;
  } catch {
    return false;
  }
}

/** initdb on first use, then start (idempotent: a running server is left alone). */
export async function startPostgres(layout: ClusterLayout): Promise<void> {
  for (const binary of ['initdb', 'pg_ctl', 'postgres', 'psql']) {
    if (!existsSync(path.join(layout.pgBin, binary))) {
      throw new Error(
        `PostgreSQL 15 not found in ${layout.pgBin}: run \`bash scripts/cluster/install.sh\` or set CLUSTER_PG_BIN`,
      );
    }
  }
  mkdirSync(layout.dataDir, { recursive: true });
  ownedByPostgres(layout.pgRunDir);
  if (!existsSync(path.join(layout.pgDataDir, 'PG_VERSION'))) {
    ownedByPostgres(layout.pgDataDir);
    await pg(layout, 'initdb', [
      '-D',
      layout.pgDataDir,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=trust',
      '-E',
      'UTF8',
      '--no-instructions',
    ]);
  }
  if (await postgresRunning(layout)) return;
  const options = [
    `-p ${layout.pgPort}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${layout.pgRunDir}`,
    `-c max_connections=${MAX_CONNECTIONS}`,
  ].join(' ');
  try {
    await pg(layout, 'pg_ctl', [
      '-D',
      layout.pgDataDir,
      '-l',
      postgresLogPath(layout),
      '-w',
      '-t',
      '60',
      '-o',
      options,
      'start',
    ]);
  } catch {
    // pg_ctl only says "examine the log output": quote it (a busy port is the usual cause).
    const log = existsSync(postgresLogPath(layout)) ? readFileSync(postgresLogPath(layout), 'utf8') : '';
    const fatal = log
      .split('\n')
      .filter((line) => /FATAL|could not|HINT/.test(line))
      .slice(-3);
    throw new Error(
      `PostgreSQL did not start on 127.0.0.1:${layout.pgPort} (set CLUSTER_PG_PORT to move it): ` +
        `${fatal.join(' | ') || 'see ' + postgresLogPath(layout)}`,
    );
  }
}

/**
 * `fast` is a clean shutdown; `immediate` is a crash as far as the data goes (no checkpoint: the next start
 * replays the WAL), which is what the chaos tests use.
 */
export async function stopPostgres(
  layout: ClusterLayout,
  mode: 'fast' | 'immediate' = 'fast',
): Promise<void> {
  if (!(await postgresRunning(layout))) return;
  await pg(layout, 'pg_ctl', ['-D', layout.pgDataDir, '-m', mode, '-w', '-t', '60', 'stop']);
}

async function psql(layout: ClusterLayout, database: string, sql: string): Promise<string> {
  const output = await pg(layout, 'psql', [
    '-h',
    layout.pgRunDir,
    '-p',
    String(layout.pgPort),
    '-U',
    'postgres',
    '-d',
    database,
    '-v',
    'ON_ERROR_STOP=1',
    '-tAc',
    sql,
  ]);
  return output.trim();
}

async function sqlTool(layout: ClusterLayout, database: string, args: string[]): Promise<void> {
  await run(layout.sqlBin, [
    '--plugin',
    'postgres12',
    '--ep',
    '127.0.0.1',
    '-p',
    String(layout.pgPort),
    '-u',
    DB_USER,
    '--pw',
    DB_PASSWORD,
    '--db',
    database,
    ...args,
  ]);
}

/** The schema files that scripts/cluster/install.sh copied out of the server module. */
export function schemaDir(layout: ClusterLayout, schema: string): string {
  return path.join(path.dirname(layout.binDir), 'schema', 'postgresql', 'v12', schema, 'versioned');
}

/**
 * The `temporal` role and both databases at the server's schema version: created and set up the first
 * time, updated every time (a no-op when current, so a newer server binary brings its migrations).
 */
export async function ensureSchemas(layout: ClusterLayout): Promise<void> {
  const role = await psql(layout, 'postgres', `SELECT 1 FROM pg_roles WHERE rolname = '${DB_USER}'`);
  if (role !== '1') {
    await psql(layout, 'postgres', `CREATE ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${DB_PASSWORD}'`);
  }
  for (const { name, schema } of DATABASES) {
    const versioned = schemaDir(layout, schema);
    if (!existsSync(versioned)) {
      throw new Error(`${versioned} is missing: run \`bash scripts/cluster/install.sh\``);
    }
    const exists = await psql(layout, 'postgres', `SELECT 1 FROM pg_database WHERE datname = '${name}'`);
    if (exists !== '1') {
      await sqlTool(layout, name, ['create']);
      await sqlTool(layout, name, ['setup-schema', '-v', '0.0']);
    }
    await sqlTool(layout, name, ['update-schema', '-d', versioned]);
  }
}
