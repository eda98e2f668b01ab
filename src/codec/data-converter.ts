import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec';
import { keyringFromEnv } from './encryption-keys';

type Env = Record<string, string | undefined>;

/** The payload codec configured by `PAYLOAD_ENCRYPTION_KEYS`, or null when encryption is off. */
export function encryptionCodecFromEnv(env: Env = process.env): EncryptionCodec | null {
  const keyring = keyringFromEnv(env);
  return keyring ? new EncryptionCodec(keyring) : null;
}

/**
 * The data converter the worker and every client must share: with keys configured, payloads are encrypted
 * on the way to the server and decrypted on the way back; without, undefined (the SDK default). Throws
 * `EncryptionConfigError` on a malformed configuration rather than silently falling back to plaintext.
 */
export function dataConverterFromEnv(env: Env = process.env): DataConverter | undefined {
  const codec = encryptionCodecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
