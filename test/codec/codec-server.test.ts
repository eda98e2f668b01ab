import { defaultPayloadConverter } from '@temporalio/common';
import {
  type CodecServerHandle,
  codecServerOptionsFromEnv,
  EncryptionCodec,
  keyringFromEnv,
  startCodecServer,
} from '../../src/codec';
import { payloadFromJson, payloadToJson } from '../../src/codec/payload-json';
import { keysEnv } from './keys';

const UI_ORIGIN = 'http://127.0.0.1:8233';
const event = { beneficiaryId: 'ben-9001', message: 'Address proof is older than 3 months' };

function newCodec(env: Record<string, string>): EncryptionCodec {
  const keyring = keyringFromEnv(env);
  if (!keyring) throw new Error('no keys');
  return new EncryptionCodec(keyring);
}

describe('codec server over HTTP', () => {
  const { env } = keysEnv(['k1']);
  const codec = newCodec(env);
  let open: CodecServerHandle;
  let guarded: CodecServerHandle;

  beforeAll(async () => {
    open = await startCodecServer({ codec, port: 0 });
    guarded = await startCodecServer({
      codec,
      port: 0,
      authToken: 'codec-test-token',
      namespaces: ['kyc'],
      bodyLimitBytes: 2_048,
    });
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
  });

  const post = (
    server: CodecServerHandle,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: JSON.stringify(body),
    });

  it('encodes and decodes in the Web UI / CLI JSON format', async () => {
    const plain = { payloads: [payloadToJson(defaultPayloadConverter.toPayload(event))] };
    const encodeResponse = await post(open, '/encode', plain);
    expect(encodeResponse.status).toBe(200);
    const encoded = (await encodeResponse.json()) as typeof plain;
    expect(encoded.payloads).toHaveLength(1);
    const [payload] = encoded.payloads;
    expect(Buffer.from(payload?.metadata?.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(payload?.metadata?.['encryption-key-id'] ?? '', 'base64').toString()).toBe('k1');
    expect(Buffer.from(payload?.data ?? '', 'base64').includes('ben-9001')).toBe(false);

    // What the server encoded, the workers' codec decodes, and the reverse.
    const [viaCodec] = await codec.decode(encoded.payloads.map(payloadFromJson));
    expect(defaultPayloadConverter.fromPayload(viaCodec ?? {})).toEqual(event);

    const decodeResponse = await post(open, '/decode', encoded);
    expect(decodeResponse.status).toBe(200);
    const decoded = (await decodeResponse.json()) as typeof plain;
    expect(decoded).toEqual(plain);
  });

  it('serves the endpoints under any path prefix, as the protocol asks', async () => {
    const encoded = await codec.encode([defaultPayloadConverter.toPayload(event)]);
    const response = await post(open, '/codec/default/decode', { payloads: encoded.map(payloadToJson) });
    expect(response.status).toBe(200);
    expect((await post(open, '/codec/other', { payloads: [] })).status).toBe(404);
  });

  it('answers a preflight from the UI origin with the headers the UI sends', async () => {
    const response = await fetch(`${open.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = response.headers.get('access-control-allow-headers')?.split(/,\s*/) ?? [];
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'x-namespace', 'authorization']));

    const decode = await post(open, '/decode', { payloads: [] }, { origin: 'http://localhost:8233' });
    expect(decode.status).toBe(200);
    expect(decode.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
  });

  it('refuses another origin, without CORS headers and without decoding', async () => {
    const preflight = await fetch(`${open.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();

    const encoded = await codec.encode([defaultPayloadConverter.toPayload(event)]);
    const decode = await post(
      open,
      '/decode',
      { payloads: encoded.map(payloadToJson) },
      { origin: 'http://evil.example' },
    );
    expect(decode.status).toBe(403);
    expect(decode.headers.get('access-control-allow-origin')).toBeNull();
    expect(await decode.text()).not.toContain('ben-9001');
  });

  it('answers 400 with a clear message for a malformed body or an undecryptable payload', async () => {
    const bad = await post(open, '/decode', { payloads: [{ data: 'not base64!' }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/body must be/);

    const otherKeys = newCodec(keysEnv(['k9']).env);
    const foreign = await otherKeys.encode([defaultPayloadConverter.toPayload(event)]);
    const unknownKey = await post(open, '/decode', { payloads: foreign.map(payloadToJson) });
    expect(unknownKey.status).toBe(400);
    expect(((await unknownKey.json()) as { error: string }).error).toMatch(
      /encrypted with key "k9", which is not configured/,
    );
  });

  it('requires the bearer token and a served namespace when configured, and limits the body', async () => {
    const body = { payloads: [] };
    const auth = { authorization: 'Bearer codec-test-token', 'x-namespace': 'kyc' };
    expect((await post(guarded, '/decode', body, auth)).status).toBe(200);
    const noToken = await post(guarded, '/decode', body, { 'x-namespace': 'kyc' });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post(guarded, '/decode', body, { ...auth, authorization: 'Bearer nope' })).status).toBe(
      401,
    );
    expect((await post(guarded, '/decode', body, { ...auth, 'x-namespace': 'default' })).status).toBe(403);
    // Browsers send preflights without credentials.
    const preflight = await fetch(`${guarded.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    const large = { payloads: [{ data: Buffer.alloc(4_096).toString('base64') }] };
    expect((await post(guarded, '/decode', large, auth)).status).toBe(413);
  });
});

describe('codec server options from the environment', () => {
  it('defaults to port 8888 and the dev server UI origins', () => {
    expect(codecServerOptionsFromEnv({})).toEqual({ port: 8888 });
  });

  it('reads every variable', () => {
    expect(
      codecServerOptionsFromEnv({
        CODEC_PORT: '9999',
        CODEC_HOST: '0.0.0.0',
        CODEC_CORS_ORIGIN: 'https://temporal.internal.example, http://localhost:8080',
        CODEC_NAMESPACES: 'default,kyc',
        CODEC_AUTH_TOKEN: 't0ken',
        CODEC_BODY_LIMIT_BYTES: '1024',
      }),
    ).toEqual({
      port: 9999,
      host: '0.0.0.0',
      allowedOrigins: ['https://temporal.internal.example', 'http://localhost:8080'],
      namespaces: ['default', 'kyc'],
      authToken: 't0ken',
      bodyLimitBytes: 1024,
    });
  });

  it('rejects bad values', () => {
    expect(() => codecServerOptionsFromEnv({ CODEC_PORT: '70000' })).toThrow(/CODEC_PORT/);
    expect(() => codecServerOptionsFromEnv({ CODEC_CORS_ORIGIN: 'http://localhost:8233/ui' })).toThrow(
      /CODEC_CORS_ORIGIN: "http:\/\/localhost:8233\/ui" is not an origin/,
    );
    expect(() => codecServerOptionsFromEnv({ CODEC_BODY_LIMIT_BYTES: 'lots' })).toThrow(
      /CODEC_BODY_LIMIT_BYTES/,
    );
  });
});
