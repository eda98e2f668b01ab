import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../dev/free-port';
import { uniqueTaskQueue } from '../support/temporal';

export interface StartCommandEnv {
  /** A temporary folder for the dev server's data (and its pid file). */
  dataDir: string;
  ports: { temporal: number; ui: number; sandbox: number; webhooks: number };
  /** `npm start`'s environment: every port free, nothing pointing at an outside Temporal or Caliza. */
  env: NodeJS.ProcessEnv;
}

/** What `npm start` needs to run beside anything else on the machine, as a user's own terminal would. */
export async function startCommandEnv(name: string): Promise<StartCommandEnv> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `caliza-kyc-${name}-`));
  const ports = {
    temporal: await freePort(),
    ui: await freePort(),
    sandbox: await freePort(),
    webhooks: await freePort(),
  };
  const inherited = { ...process.env };
  for (const variable of [
    'TEMPORAL_ADDRESS',
    'CALIZA_API_BASE_URL',
    'CALIZA_WEBHOOK_SECRETS',
    'CALIZA_WEBHOOK_SECRET',
  ]) {
    delete inherited[variable];
  }
  const env = {
    ...inherited,
    TEMPORAL_DEV_PORT: String(ports.temporal),
    TEMPORAL_DEV_UI_PORT: String(ports.ui),
    TEMPORAL_DEV_DB_FILE: path.join(dataDir, 'temporal.sqlite'),
    SANDBOX_PORT: String(ports.sandbox),
    WEBHOOK_PORT: String(ports.webhooks),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue(name),
    LOG_FORMAT: 'json',
  };
  return { dataDir, ports, env };
}
