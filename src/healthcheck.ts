/**
 * The container image's HEALTHCHECK (`node dist/healthcheck.js`): asks the process's own admin port
 * (`ADMIN_PORT`, 9090 by default, the port its `/livez`, `/readyz` and `/metrics` listen on) for `/livez`
 * and exits 0 on a 2xx answer, 1 on any other status, a refused connection or no answer in time. It uses
 * node:http alone, so a check every 30 s costs a bare Node start and none of the service's modules.
 */
import http from 'node:http';
import { EnvReader } from './env-readers';
import { DEFAULT_ADMIN_PORT } from './service/admin-server';

const CHECK_TIMEOUT_MS = 3_000;

export interface HealthCheck {
  port: number;
  path?: string;
  timeoutMs?: number;
}

/** Resolves true when `http://127.0.0.1:<port><path>` answers 2xx within the timeout; never rejects. */
export function isHealthy({
  port,
  path = '/livez',
  timeoutMs = CHECK_TIMEOUT_MS,
}: HealthCheck): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolve(status >= 200 && status < 300);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', () => resolve(false));
  });
}

/** The admin port the process listens on; ADMIN_PORT is declared in src/service/env-vars.ts. */
export function adminPortFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const read = new EnvReader(env);
  const port = read.integer('ADMIN_PORT', 1, 65_535) ?? DEFAULT_ADMIN_PORT;
  read.throwIfAny();
  return port;
}

if (require.main === module) {
  Promise.resolve()
    .then(() => isHealthy({ port: adminPortFromEnv() }))
    .then(
      (healthy) => process.exit(healthy ? 0 : 1),
      (err: unknown) => {
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
}
