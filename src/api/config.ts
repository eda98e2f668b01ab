/** The HTTP API's environment configuration; every problem is reported at once, naming its variable. */
import { type Env, EnvConfigError, EnvReader } from '../env-readers';
import { parseApiKeyHashes } from './api-keys';

export const DEFAULT_API_PORT = 3002;
export const DEFAULT_API_HOST = '0.0.0.0';

export interface ApiSettings {
  port: number;
  host: string;
  /** SHA-256 digests of the accepted API keys. */
  keyHashes: Buffer[];
}

export function loadApiSettings(env: Env = process.env): ApiSettings {
  const read = new EnvReader(env);
  const port = read.integer('API_PORT', 0, 65_535) ?? DEFAULT_API_PORT;
  const host = read.text('API_HOST') ?? DEFAULT_API_HOST;
  const { hashes, problems } = parseApiKeyHashes(read.text('API_KEY_HASHES') ?? '');
  for (const problem of problems) read.problem(problem);
  if (read.problems.length > 0) throw new EnvConfigError(read.problems, 'invalid API configuration');
  return { port, host, keyHashes: hashes };
}
