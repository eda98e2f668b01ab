import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { dataConverterFromEnv } from '../codec';

export interface TemporalTarget {
  client: Client;
  connection: Connection;
  namespace: string;
}

/**
 * Connects with Temporal's standard environment configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and the TOML config file), so the same code reaches
 * the dev server, a self-hosted cluster or Temporal Cloud.
 */
export async function connectClient(options: { lazy?: boolean } = {}): Promise<TemporalTarget> {
  const config = loadClientConnectConfig();
  // The worker's codec: without it, results and queries would come back still encrypted.
  const dataConverter = dataConverterFromEnv(process.env);
  // Lazy: a process that must come up while Temporal is down (the webhook receiver answers 503 then).
  const connection = options.lazy
    ? Connection.lazy(config.connectionOptions)
    : await Connection.connect(config.connectionOptions);
  const namespace = config.namespace ?? 'default';
  return { client: new Client({ connection, namespace, dataConverter }), connection, namespace };
}
