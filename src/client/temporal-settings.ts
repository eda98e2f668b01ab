/**
 * How every process and client reaches Temporal: Temporal's standard environment configuration
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and the TOML config
 * file) plus the task queue, so the same code reaches the dev server, a self-hosted cluster or Temporal Cloud.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { DEFAULT_TASK_QUEUE } from '../contracts';
import { type Env, EnvReader } from '../env-readers';

/** What envconfig yields: valid for both the client's and the worker's connection. */
type ConnectionOptions = ReturnType<typeof loadClientConnectConfig>['connectionOptions'];

export interface TemporalSettings {
  connectionOptions: ConnectionOptions;
  namespace: string;
  taskQueue: string;
}

/** Task queue shared by the worker and every client; TEMPORAL_TASK_QUEUE overrides it. */
export function taskQueueFromEnv(env: Env = process.env): string {
  return new EnvReader(env).text('TEMPORAL_TASK_QUEUE') ?? DEFAULT_TASK_QUEUE;
}

/** Temporal's standard environment configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key, profile). */
export function temporalSettingsFromEnv(env: Env = process.env): TemporalSettings {
  const defined = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const config = loadClientConnectConfig({ overrideEnvVars: defined });
  return {
    connectionOptions: config.connectionOptions,
    namespace: config.namespace ?? 'default',
    taskQueue: taskQueueFromEnv(env),
  };
}
