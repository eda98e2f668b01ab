import { type KeyObject, createSecretKey } from 'node:crypto';

type Env = Record<string, string | undefined>;

export const KEYS_VARIABLE = 'PAYLOAD_ENCRYPTION_KEYS';
export const CURRENT_KEY_VARIABLE = 'PAYLOAD_ENCRYPTION_KEY_ID';
/** AES-256 needs exactly this many bytes of key. */
export const KEY_BYTES = 32;

/**
 * Every key the codec may decrypt with, by id, and the id it encrypts with. Keys are held as `KeyObject`s,
 * which print as `SecretKeyObject { type: 'secret' }`, so a stray log line never shows key material.
 */
export interface EncryptionKeyring {
  currentKeyId: string;
  keys: ReadonlyMap<string, KeyObject>;
}

/** A configuration mistake; its message names the variable and entry but never contains key material. */
export class EncryptionConfigError extends Error {
  override readonly name = 'EncryptionConfigError';
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Reads `PAYLOAD_ENCRYPTION_KEYS` (`id1:base64key,id2:base64key`) and `PAYLOAD_ENCRYPTION_KEY_ID` (the key
 * new payloads are encrypted with; the first listed by default). Returns null when no keys are configured,
 * which leaves payload encryption off.
 */
export function keyringFromEnv(env: Env): EncryptionKeyring | null {
  const list = env[KEYS_VARIABLE]?.trim() ?? '';
  const chosen = env[CURRENT_KEY_VARIABLE]?.trim() ?? '';
  if (list === '') {
    if (chosen !== '') {
      // Someone expects encryption to be on: refusing to start is safer than writing plaintext.
      throw new EncryptionConfigError(`${CURRENT_KEY_VARIABLE} is set but ${KEYS_VARIABLE} is empty`);
    }
    return null;
  }
  const keys = new Map<string, KeyObject>();
  list.split(',').forEach((rawEntry, index) => {
    if (rawEntry.trim() === '') return;
    const [id, key] = parseEntry(rawEntry.trim(), index + 1);
    if (keys.has(id)) throw new EncryptionConfigError(`${KEYS_VARIABLE}: key id "${id}" appears twice`);
    keys.set(id, key);
  });
  const currentKeyId = chosen !== '' ? chosen : [...keys.keys()][0];
  if (currentKeyId === undefined || !keys.has(currentKeyId)) {
    throw new EncryptionConfigError(
      `${CURRENT_KEY_VARIABLE} "${currentKeyId ?? ''}" is not one of the ids in ${KEYS_VARIABLE} (${[...keys.keys()].join(', ')})`,
    );
  }
  return { currentKeyId, keys };
}

function parseEntry(entry: string, position: number): [string, KeyObject] {
  const where = `${KEYS_VARIABLE} entry ${position}`;
  const colon = entry.indexOf(':');
  // Without a colon the entry may be a bare key, so its text is not echoed.
  if (colon <= 0) throw new EncryptionConfigError(`${where}: expected id:base64key`);
  const id = entry.slice(0, colon).trim();
  const encoded = entry.slice(colon + 1).trim();
  if (!KEY_ID.test(id)) {
    throw new EncryptionConfigError(`${where}: key id must be 1-64 letters, digits, '.', '_' or '-'`);
  }
  if (encoded === '' || !BASE64.test(encoded)) {
    throw new EncryptionConfigError(`${where} (id "${id}"): key is not valid base64`);
  }
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length !== KEY_BYTES) {
    throw new EncryptionConfigError(
      `${where} (id "${id}"): key must be ${KEY_BYTES} bytes, got ${bytes.length}`,
    );
  }
  const key = createSecretKey(bytes);
  bytes.fill(0);
  return [id, key];
}
