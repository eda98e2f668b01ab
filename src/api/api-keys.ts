/**
 * Bearer API keys, stored only as hashes (`API_KEY_HASHES=sha256:<hex>,…`): a leaked configuration gives
 * no key away, and several hashes let a key be rotated without downtime. Keys are random and long, so one
 * SHA-256 is enough (no password stretching); hashes are compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const HASH_PREFIX = 'sha256:';
const HASH_FORMAT = /^sha256:[0-9a-f]{64}$/;
/** Shorter keys could be guessed; `newApiKey()` makes 43 characters. */
export const MIN_KEY_LENGTH = 24;
export const MAX_API_KEYS = 10;

export function hashApiKey(key: string): string {
  return `${HASH_PREFIX}${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** A new random key (256 bits, base64url) to hand to a backend; only its hash goes into the configuration. */
export function newApiKey(): string {
  return randomBytes(32).toString('base64url');
}

/** The problems of an `API_KEY_HASHES` value; the hashes themselves never appear in a message. */
export function parseApiKeyHashes(value: string): { hashes: Buffer[]; problems: string[] } {
  const entries = value
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry.length > 0);
  const problems: string[] = [];
  if (entries.length === 0) problems.push('API_KEY_HASHES must list at least one sha256:<hex> hash');
  if (entries.length > MAX_API_KEYS) problems.push(`API_KEY_HASHES takes at most ${MAX_API_KEYS} hashes`);
  const bad = entries.filter((entry) => !HASH_FORMAT.test(entry)).length;
  if (bad > 0) {
    problems.push(
      `API_KEY_HASHES: ${bad} of ${entries.length} entries are not sha256:<64 hex digits> (npm run ops -- hash-api-key)`,
    );
  }
  const hashes = entries
    .filter((entry) => HASH_FORMAT.test(entry))
    .map((entry) => Buffer.from(entry.slice(HASH_PREFIX.length), 'hex'));
  return { hashes, problems };
}

/** The key from an `Authorization: Bearer <key>` header, or null. */
export function bearerKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Whether `key` hashes to one of `hashes`. Every hash is compared, whatever matched, so the time taken says
 * nothing about which one (or how much of one) matched.
 */
export function isKnownApiKey(key: string, hashes: readonly Buffer[]): boolean {
  const digest = createHash('sha256').update(key, 'utf8').digest();
  let known = false;
  for (const hash of hashes) known = timingSafeEqual(digest, hash) || known;
  return known;
}
