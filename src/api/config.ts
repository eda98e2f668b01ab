/** The HTTP API's environment configuration; every problem is reported at once, naming its variable. */
import { parseApiKeyHashes } from './api-keys';

export const DEFAULT_API_PORT = 3002;
export const DEFAULT_API_HOST = '0.0.0.0';

export interface ApiSettings {
  port: number;
  host: string;
  /** SHA-256 digests of the accepted API keys. */
  keyHashes: Buffer[];
}

export class ApiConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid API configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ApiConfigError';
  }
}

export function loadApiSettings(env: NodeJS.ProcessEnv = process.env): ApiSettings {
  const problems: string[] = [];
  const rawPort = env.API_PORT?.trim();
  let port = DEFAULT_API_PORT;
  if (rawPort) {
    port = /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : Number.NaN;
    if (!(port >= 0 && port <= 65_535)) problems.push('API_PORT must be an integer from 0 to 65535');
  }
  const host = env.API_HOST?.trim() || DEFAULT_API_HOST;
  const { hashes, problems: keyProblems } = parseApiKeyHashes(env.API_KEY_HASHES ?? '');
  problems.push(...keyProblems);
  if (problems.length > 0) throw new ApiConfigError(problems);
  return { port, host, keyHashes: hashes };
}
