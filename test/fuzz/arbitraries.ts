import fc from 'fast-check';
import { SIGNATURE_HEADER, signWebhookBody } from '../../src/caliza/signature';

/** Fields of the envelope that the receiver validates. */
export const ENVELOPE_FIELDS = ['operation', 'beneficiaryId', 'createdAt', 'success', 'message'] as const;

/** Characters Node's HTTP client accepts in a header value (printable ASCII, space and tab). */
const headerValue = fc.string({
  unit: fc.mapToConstant({ num: 95, build: (v) => String.fromCharCode(0x20 + v) }),
});
const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.!#$%&*+^|~'.split(''));

/**
 * Random extra headers. Names get a prefix so that none changes how the request is framed (Content-Length,
 * Transfer-Encoding, Expect, Connection): those are exercised on purpose elsewhere.
 */
export const extraHeaders = fc.dictionary(
  fc.string({ unit: tokenChar, minLength: 1, maxLength: 20 }).map((name) => `x-fuzz-${name}`),
  headerValue.filter((v) => v.trim() === v),
  { maxKeys: 5 },
);

export const contentTypes = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/json;;',
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonp',
    '"application/json"',
    'application/json, text/plain',
  ),
  headerValue.map((v) => v.trim()).filter((v) => v.length > 0),
);

export const contentEncodings = fc.option(
  fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'identity, gzip'),
  {
    nil: undefined,
  },
);

/** Methods Node's parser and Fastify understand; CONNECT is a tunnel, not a request. */
export const methods = fc.oneof(
  { weight: 4, arbitrary: fc.constant('POST') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'TRACE'),
  },
);

/** The webhook path and near misses of it. */
export const paths = fc.oneof(
  { weight: 4, arbitrary: fc.constant('/webhooks/caliza') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '/webhooks/caliza?x=1',
      '/webhooks/caliza?signature=1',
      '/webhooks/caliza/',
      '/webhooks//caliza',
      '/WEBHOOKS/caliza',
      '/webhooks/caliza/extra',
      '/webhooks',
      '/',
      '/webhooks/calizaX',
    ),
  },
);

/** A valid outcome envelope, as Caliza would send it. */
export const outcomeEnvelopes = fc.record({
  operation: fc.constantFrom('BENEFICIARY_APPROVED', 'BENEFICIARY_FAILED'),
  beneficiaryId: fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }),
  createdAt: fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 128 }),
    fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString()),
  ),
  success: fc.option(fc.boolean(), { nil: null }),
  message: fc.option(fc.string({ unit: 'binary', maxLength: 200 }), { nil: null }),
  resourceId: fc.string({ maxLength: 24 }),
  data: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
});

/** Bodies of every kind: bytes, JSON of any shape, and genuine-looking envelopes. */
export const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 5_000 }).map((bytes) => Buffer.from(bytes)),
  // fast-check favours small values: large bodies, around the 4 KiB limit of the tests, need asking for.
  fc.uint8Array({ minLength: 3_500, maxLength: 6_000 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
  outcomeEnvelopes.map((envelope) => Buffer.from(JSON.stringify(envelope))),
);

/**
 * Anything but the signature of `body` under a configured secret: missing, empty, random, a signature
 * made with another secret or of other bytes, and small corruptions of the right one.
 */
export function wrongSignatures(body: Buffer, secrets: readonly string[]): fc.Arbitrary<string | undefined> {
  const right = signWebhookBody(body, secrets[0] ?? '');
  const valid = new Set(secrets.map((secret) => signWebhookBody(body, secret)));
  return fc
    .oneof(
      fc.constant(undefined),
      fc.constant(''),
      headerValue.filter((v) => v.trim().length > 0),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      fc.constant(signWebhookBody(body, 'whsec_attacker_guess')),
      fc.constant(signWebhookBody(Buffer.concat([body, Buffer.from(' ')]), secrets[0] ?? '')),
      fc
        .nat({ max: right.length - 1 })
        .map((i) => `${right.slice(0, i)}${right[i] === 'A' ? 'B' : 'A'}${right.slice(i + 1)}`),
      fc.nat({ max: right.length - 1 }).map((i) => right.slice(0, i)),
      fc.constant(Buffer.from(right, 'base64').toString('hex')),
      fc.constant(`${right}${right}`),
    )
    .filter((signature) => signature === undefined || !valid.has(signature.trim()));
}

export function signedJsonHeaders(body: Buffer, secret: string): Record<string, string> {
  return { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhookBody(body, secret) };
}

/** A value of the wrong kind for an envelope field. */
const wrongValues = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(''),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  fc.string({ minLength: 300, maxLength: 400 }),
);

/**
 * JSON objects that must not pass as an envelope: a required field missing or of the wrong kind, or an
 * optional one of the wrong kind. Returned with the field that was broken.
 */
export const brokenEnvelopes = fc
  .tuple(outcomeEnvelopes, fc.constantFrom(...ENVELOPE_FIELDS), fc.boolean(), wrongValues)
  .filter(([, field, remove, value]) => {
    // Values the schema accepts for that field are not broken.
    if (field === 'success') return !remove && value !== null && typeof value !== 'boolean';
    if (field === 'message') return !remove && value !== null && typeof value !== 'string';
    if (remove) return true;
    if (typeof value !== 'string') return true;
    // Any other non-empty operation is an event this service ignores, whatever the rest: 200, not 400.
    if (field === 'operation') return value === '';
    return value === '' || value.length > (field === 'beneficiaryId' ? 256 : 128);
  })
  .map(([envelope, field, remove, value]) => {
    const broken: Record<string, unknown> = { ...envelope };
    if (remove) delete broken[field];
    else broken[field] = value;
    return { field, body: Buffer.from(JSON.stringify(broken)) };
  });

/** Bodies that are not a JSON object at all. */
export const notAnObject = fc.oneof(
  fc
    .uint8Array({ minLength: 1, maxLength: 2_000 })
    .map((bytes) => Buffer.from(bytes))
    .filter((b) => !parsesAsJson(b)),
  fc
    .oneof(
      fc.integer(),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.jsonValue({ maxDepth: 2 })),
    )
    .map((value) => Buffer.from(JSON.stringify(value))),
  fc.integer({ min: 1, max: 1_500 }).map((depth) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
);

function parsesAsJson(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
