import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { EncryptionCodec, keyringFromEnv, PayloadDecryptionError } from '../../src/codec';
import { keysEnv } from './keys';

function codec(env: Record<string, string>): EncryptionCodec {
  const keyring = keyringFromEnv(env);
  if (!keyring) throw new Error('no keys');
  return new EncryptionCodec(keyring);
}

const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('utf8');
const event = {
  operation: 'BENEFICIARY_FAILED',
  beneficiaryId: 'ben-4471',
  createdAt: '2026-01-01T00:06:00.000001',
  success: false,
  message: 'Selfie does not match the document',
};

describe('EncryptionCodec', () => {
  const { env } = keysEnv(['old', 'new']);
  const oldCodec = codec({ ...env, PAYLOAD_ENCRYPTION_KEY_ID: 'old' });
  const newCodec = codec({ ...env, PAYLOAD_ENCRYPTION_KEY_ID: 'new' });
  const plain = (): Payload[] => [
    defaultPayloadConverter.toPayload(event),
    defaultPayloadConverter.toPayload(null),
    defaultPayloadConverter.toPayload(new Uint8Array([0, 1, 2, 255])),
  ];

  it('round-trips payloads, metadata included, with nothing readable in the encrypted form', async () => {
    const encoded = await oldCodec.encode(plain());
    expect(encoded).toHaveLength(3);
    for (const payload of encoded) {
      expect(text(payload.metadata?.encoding)).toBe('binary/encrypted');
      expect(text(payload.metadata?.['encryption-key-id'])).toBe('old');
      expect(Object.keys(payload.metadata ?? {}).sort()).toEqual(['encoding', 'encryption-key-id']);
    }
    const first = Buffer.from(encoded[0]?.data ?? []);
    for (const secret of ['ben-4471', 'Selfie', 'json/plain']) expect(first.includes(secret)).toBe(false);

    const decoded = await oldCodec.decode(encoded);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      event,
      null,
      new Uint8Array([0, 1, 2, 255]),
    ]);
    expect(text(decoded[0]?.metadata?.encoding)).toBe('json/plain');
  });

  it('uses a fresh IV for every payload', async () => {
    const [a, b] = await oldCodec.encode([plain()[0] as Payload, plain()[0] as Payload]);
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
    expect(
      Buffer.from(a?.data ?? [])
        .subarray(0, 12)
        .equals(Buffer.from(b?.data ?? []).subarray(0, 12)),
    ).toBe(false);
  });

  it('decodes payloads written under the previous key after the current key changes', async () => {
    const written = await oldCodec.encode(plain());
    const rewritten = await newCodec.encode(plain());
    expect(text(rewritten[0]?.metadata?.['encryption-key-id'])).toBe('new');
    expect(defaultPayloadConverter.fromPayload((await newCodec.decode(written))[0] as Payload)).toEqual(
      event,
    );
    expect(defaultPayloadConverter.fromPayload((await oldCodec.decode(rewritten))[0] as Payload)).toEqual(
      event,
    );
  });

  it('fails clearly on a key id it does not have, listing the ids it does have', async () => {
    const retired = codec(keysEnv(['new']).env);
    const written = await oldCodec.encode(plain());
    await expect(retired.decode(written)).rejects.toThrow(PayloadDecryptionError);
    await expect(retired.decode(written)).rejects.toThrow(
      'payload was encrypted with key "old", which is not configured (configured: new)',
    );
  });

  it('rejects a payload whose ciphertext, IV or tag was altered', async () => {
    const [written] = await oldCodec.encode([plain()[0] as Payload]);
    const data = Buffer.from(written?.data ?? []);
    for (const index of [0, 20, data.length - 1]) {
      const tampered = Buffer.from(data);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      await expect(oldCodec.decode([{ ...written, data: tampered }])).rejects.toThrow(
        'encrypted payload (key "old") failed authentication',
      );
    }
    await expect(oldCodec.decode([{ ...written, data: data.subarray(0, 20) }])).rejects.toThrow(
      'is too short',
    );
  });

  it('rejects a payload relabelled with another configured key id', async () => {
    const sameKeyTwice = codec({
      PAYLOAD_ENCRYPTION_KEYS: `${env.PAYLOAD_ENCRYPTION_KEYS},alias:${env.PAYLOAD_ENCRYPTION_KEYS?.split(',')[0]?.split(':')[1]}`,
    });
    const [written] = await sameKeyTwice.encode([plain()[0] as Payload]);
    const relabelled: Payload = {
      ...written,
      metadata: { ...written?.metadata, 'encryption-key-id': Buffer.from('alias') },
    };
    // Same key bytes, but the id is bound into the tag.
    await expect(sameKeyTwice.decode([relabelled])).rejects.toThrow('failed authentication');
  });

  it('passes payloads that were never encrypted through unchanged', async () => {
    const payloads = plain();
    expect(await oldCodec.decode(payloads)).toEqual(payloads);
    expect(await oldCodec.decode([])).toEqual([]);
    expect(await oldCodec.encode([])).toEqual([]);
  });
});
