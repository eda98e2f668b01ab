import { bearerKey, hashApiKey, isKnownApiKey, newApiKey, parseApiKeyHashes } from '../../src/api/api-keys';
import { loadApiSettings } from '../../src/api/config';

describe('API keys, stored as hashes', () => {
  it('accepts each key listed by its hash, and nothing else', () => {
    const [current, next, other] = [newApiKey(), newApiKey(), newApiKey()];
    const { hashes, problems } = parseApiKeyHashes(
      ` ${hashApiKey(current)} ,${hashApiKey(next).toUpperCase()}`,
    );
    expect(problems).toEqual([]);
    expect(isKnownApiKey(current, hashes)).toBe(true);
    expect(isKnownApiKey(next, hashes)).toBe(true);
    expect(isKnownApiKey(other, hashes)).toBe(false);
    expect(isKnownApiKey(current.slice(0, -1), hashes)).toBe(false);
    expect(isKnownApiKey('', hashes)).toBe(false);
  });

  it('makes keys of 256 random bits and hashes of one documented format', () => {
    const key = newApiKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newApiKey()).not.toBe(key);
    expect(hashApiKey('key')).toBe('sha256:2c70e12b7a0646f92279f427c7b38e7334d8e5389cff167a1dc30e73f826b683');
  });

  it('reports malformed hashes without quoting them, and requires at least one', () => {
    const secretLooking = `sha256:${'ab'.repeat(31)}`;
    const { problems } = parseApiKeyHashes(`${hashApiKey('a')},${secretLooking},md5:00`);
    expect(problems).toEqual([expect.stringContaining('2 of 3 entries are not sha256:<64 hex digits>')]);
    expect(problems.join()).not.toContain(secretLooking);
    expect(parseApiKeyHashes(' , ').problems).toEqual([expect.stringContaining('at least one')]);
    expect(() => loadApiSettings({ API_PORT: 'x' })).toThrow(
      /API_PORT must be an integer[\s\S]*API_KEY_HASHES/,
    );
    expect(loadApiSettings({ API_KEY_HASHES: hashApiKey('a'), API_PORT: '0' })).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      keyHashes: [expect.any(Buffer)],
    });
  });

  it('reads the key from a Bearer authorization header only', () => {
    expect(bearerKey('Bearer abc')).toBe('abc');
    expect(bearerKey('bearer  abc ')).toBe('abc');
    expect(bearerKey('Basic abc')).toBeNull();
    expect(bearerKey('Bearer a b')).toBeNull();
    expect(bearerKey('Bearer ')).toBeNull();
    expect(bearerKey(undefined)).toBeNull();
  });
});
