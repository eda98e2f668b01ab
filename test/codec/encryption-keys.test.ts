import { inspect } from 'node:util';
import { dataConverterFromEnv, EncryptionConfigError, keyringFromEnv } from '../../src/codec';
import { keysEnv, newKey } from './keys';

function configError(env: Record<string, string>): EncryptionConfigError {
  try {
    keyringFromEnv(env);
  } catch (err) {
    if (err instanceof EncryptionConfigError) return err;
    throw err;
  }
  throw new Error('expected an EncryptionConfigError');
}

describe('encryption keys from the environment', () => {
  it('leaves encryption off when no keys are configured', () => {
    expect(keyringFromEnv({})).toBeNull();
    expect(keyringFromEnv({ PAYLOAD_ENCRYPTION_KEYS: '  ' })).toBeNull();
    expect(dataConverterFromEnv({})).toBeUndefined();
  });

  it('encrypts with the first key by default, or the one PAYLOAD_ENCRYPTION_KEY_ID names', () => {
    const { env } = keysEnv(['2026-01', '2026-02']);
    expect(keyringFromEnv(env)?.currentKeyId).toBe('2026-01');
    const keyring = keyringFromEnv({ ...env, PAYLOAD_ENCRYPTION_KEY_ID: '2026-02' });
    expect(keyring?.currentKeyId).toBe('2026-02');
    expect([...(keyring?.keys.keys() ?? [])]).toEqual(['2026-01', '2026-02']);
    expect(dataConverterFromEnv(env)?.payloadCodecs).toHaveLength(1);
  });

  it('tolerates spaces around entries', () => {
    const key = newKey();
    expect(keyringFromEnv({ PAYLOAD_ENCRYPTION_KEYS: ` a : ${key} , ` })?.currentKeyId).toBe('a');
  });

  it('never prints key material when a keyring is logged', () => {
    const { env, keys } = keysEnv(['k1']);
    const printed = inspect(keyringFromEnv(env), { depth: 10 });
    expect(printed).not.toContain(keys.k1);
    expect(printed).not.toContain(Buffer.from(keys.k1 ?? '', 'base64').toString('hex'));
  });

  it.each([
    [
      'a short key',
      () => `k1:${Buffer.alloc(16, 1).toString('base64')}`,
      /entry 1 \(id "k1"\): key must be 32 bytes, got 16/,
    ],
    [
      'a long key',
      () => `k1:${newKey()},k2:${Buffer.alloc(33, 1).toString('base64')}`,
      /entry 2 \(id "k2"\): key must be 32 bytes, got 33/,
    ],
    [
      'a key that is not base64',
      () => `k1:${newKey().slice(0, -4)}!!!!`,
      /entry 1 \(id "k1"\): key is not valid base64/,
    ],
    ['an empty key', () => 'k1:', /entry 1 \(id "k1"\): key is not valid base64/],
    ['an entry without an id', () => newKey(), /entry 1: expected id:base64key/],
    ['an entry starting with a colon', () => `:${newKey()}`, /entry 1: expected id:base64key/],
    ['a bad key id', () => `key one:${newKey()}`, /entry 1: key id must be/],
    ['a duplicated id', () => `k1:${newKey()},k1:${newKey()}`, /key id "k1" appears twice/],
  ])('rejects %s, naming the entry but not the key', (_name, value, message) => {
    const keysValue = value();
    const error = configError({ PAYLOAD_ENCRYPTION_KEYS: keysValue });
    expect(error.message).toMatch(message);
    expect(error.message).toContain('PAYLOAD_ENCRYPTION_KEYS');
    for (const part of keysValue.split(/[,:]/)) {
      if (part.length >= 8) expect(error.message).not.toContain(part);
    }
  });

  it('rejects a current key id that is not configured', () => {
    const { env } = keysEnv(['k1', 'k2'], 'k3');
    expect(configError(env).message).toMatch(
      /PAYLOAD_ENCRYPTION_KEY_ID "k3" is not one of the ids .*\(k1, k2\)/,
    );
  });

  it('refuses a current key id without keys instead of silently running unencrypted', () => {
    expect(configError({ PAYLOAD_ENCRYPTION_KEY_ID: 'k1' }).message).toMatch(
      /PAYLOAD_ENCRYPTION_KEY_ID is set but PAYLOAD_ENCRYPTION_KEYS is empty/,
    );
  });
});
