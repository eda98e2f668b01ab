/** `npm run ops -- hash-api-key`: a new HTTP API key, or a given one, with its `API_KEY_HASHES` entry. */
import { MIN_KEY_LENGTH, hashApiKey, newApiKey } from '../api/api-keys';
import { OpsUsageError } from './ops-args';

export interface ApiKeyEntry {
  command: 'hash-api-key';
  /** Present only for a key made here: hand it to the backend, it is not kept anywhere. */
  key?: string;
  /** Goes into API_KEY_HASHES (comma-separated, beside the previous key's during a rotation). */
  hash: string;
}

/** With `given` null, makes a new key. A given key is trimmed of the newline a pipe leaves. */
export function apiKeyEntry(given: string | null): ApiKeyEntry {
  if (given === null) {
    const key = newApiKey();
    return { command: 'hash-api-key', key, hash: hashApiKey(key) };
  }
  const key = given.trim();
  if (key.length < MIN_KEY_LENGTH || /\s/.test(key)) {
    throw new OpsUsageError(`an API key must be at least ${MIN_KEY_LENGTH} characters without spaces`);
  }
  return { command: 'hash-api-key', hash: hashApiKey(key) };
}
