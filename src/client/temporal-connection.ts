import { Client, Connection } from '@temporalio/client';
import { dataConverterFromEnv } from '../codec';
import { temporalSettingsFromEnv } from './temporal-settings';

export interface TemporalTarget {
  client: Client;
  connection: Connection;
  namespace: string;
}

/**
 * A client for the command-line tools, connected with Temporal's standard environment configuration
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and the TOML
 * config file), read as the service reads it, so the same code reaches the dev server, a self-hosted cluster
 * or Temporal Cloud.
 */
export async function connectClient(env: NodeJS.ProcessEnv = process.env): Promise<TemporalTarget> {
  const { connectionOptions, namespace } = temporalSettingsFromEnv(env);
  // The worker's codec: without it, results and queries would come back still encrypted.
  const dataConverter = dataConverterFromEnv(env);
  const connection = await Connection.connect(connectionOptions);
  return { client: new Client({ connection, namespace, dataConverter }), connection, namespace };
}
