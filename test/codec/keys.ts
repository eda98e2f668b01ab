import { randomBytes } from 'node:crypto';

/** A fresh base64 AES-256 key. */
export function newKey(): string {
  return randomBytes(32).toString('base64');
}

/** `PAYLOAD_ENCRYPTION_KEYS`-style env for the given ids, each with a fresh key, plus the keys themselves. */
export function keysEnv(
  ids: string[],
  currentKeyId?: string,
): { env: Record<string, string>; keys: Record<string, string> } {
  const keys = Object.fromEntries(ids.map((id) => [id, newKey()]));
  const env: Record<string, string> = {
    PAYLOAD_ENCRYPTION_KEYS: ids.map((id) => `${id}:${keys[id]}`).join(','),
  };
  if (currentKeyId) env.PAYLOAD_ENCRYPTION_KEY_ID = currentKeyId;
  return { env, keys };
}
