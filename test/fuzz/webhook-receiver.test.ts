import fc from 'fast-check';
import pino from 'pino';
import { SIGNATURE_HEADER } from '../../src/caliza/signature';
import { type RunningWebhookReceiver, startWebhookReceiver } from '../../src/webhooks';
import { RecordingDelivery } from '../webhooks/support';
import {
  ENVELOPE_FIELDS,
  bodies,
  brokenEnvelopes,
  contentEncodings,
  contentTypes,
  extraHeaders,
  methods,
  notAnObject,
  outcomeEnvelopes,
  paths,
  signedJsonHeaders,
  wrongSignatures,
} from './arbitraries';
import { type RawAnswer, rawExchange, request } from './raw-http';

const SECRETS = ['whsec_fuzz_current_0123456789', 'whsec_fuzz_previous_0123456789'];
const BODY_LIMIT = 4_096;
/** Error answers are a fixed sentence or a list of field names: this is far more than any of them. */
const MAX_ERROR_BODY_BYTES = 200;
/** Fixed seeds: a failure is reproducible, and the run does not change from one CI job to the next. */
const SEED = 20_260_127;

/** A 4xx whose body is one short JSON object `{ "error": "…" }`, and nothing else. */
function expectShortJsonError(answer: RawAnswer, method: string): void {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  // A HEAD answer has no body by definition.
  if (method === 'HEAD') return;
  expect(answer.body.length).toBeLessThan(MAX_ERROR_BODY_BYTES);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const json = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
  expect(Object.keys(json)).toEqual(['error']);
  expect(typeof json.error).toBe('string');
}

describe('webhook receiver under hostile input', () => {
  let receiver: RunningWebhookReceiver;
  let origin: URL;
  const delivery = new RecordingDelivery();

  beforeAll(async () => {
    receiver = await startWebhookReceiver({
      port: 0,
      host: '127.0.0.1',
      secrets: SECRETS,
      bodyLimitBytes: BODY_LIMIT,
      delivery,
      logger: pino({ level: 'silent' }),
    });
    origin = new URL(receiver.baseUrl);
  });
  afterAll(async () => {
    await receiver?.close();
  });
  beforeEach(() => {
    delivery.events.length = 0;
  });

  it('refuses any request without a valid signature with a short JSON 4xx, and never delivers it', async () => {
    const unsigned = bodies.chain((body) =>
      fc.record({
        body: fc.constant(body),
        signature: wrongSignatures(body, SECRETS),
        method: methods,
        path: paths,
        contentType: contentTypes,
        contentEncoding: contentEncodings,
        extra: extraHeaders,
        chunked: fc.boolean(),
      }),
    );
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(unsigned, async (input) => {
        const headers: Record<string, string> = { ...input.extra };
        if (input.contentType !== undefined) headers['content-type'] = input.contentType;
        if (input.contentEncoding !== undefined) headers['content-encoding'] = input.contentEncoding;
        if (input.signature !== undefined) headers[SIGNATURE_HEADER] = input.signature;
        const hasBody = input.method !== 'GET' && input.method !== 'HEAD';
        const answer = await request(origin, {
          method: input.method,
          path: input.path,
          headers,
          ...(hasBody && (input.chunked ? { chunks: [input.body] } : { body: input.body })),
        });
        statuses.add(answer.status);
        expectShortJsonError(answer, input.method);
        expect(delivery.events).toHaveLength(0);
      }),
      { numRuns: 400, seed: SEED },
    );
    // Every check of the receiver was reached, so the property covers each of them.
    expect([...statuses].sort()).toEqual([401, 404, 405, 413, 415]);
    // And it is still serving.
    expect((await request(origin, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('answers 400 to signed bodies that are not an envelope, naming fields only, and never delivers them', async () => {
    const malformed = fc.oneof(
      brokenEnvelopes.map(({ field, body }) => ({ field: field as string | null, body })),
      notAnObject.map((body) => ({ field: null, body })),
    );
    const errors = new Set<string>();
    await fc.assert(
      fc.asyncProperty(malformed, fc.constantFrom(...SECRETS), async ({ field, body }, secret) => {
        const answer = await request(origin, {
          method: 'POST',
          path: '/webhooks/caliza',
          headers: signedJsonHeaders(body, secret),
          body,
        });
        expect(answer.status).toBe(400);
        expectShortJsonError(answer, 'POST');
        const { error } = JSON.parse(answer.body.toString('utf8')) as { error: string };
        errors.add(error === 'body is not JSON' ? error : 'invalid envelope');
        if (error !== 'body is not JSON') {
          // Only names the receiver knows, never a value from the body.
          const named = error.replace(/^invalid envelope: /, '').split(', ');
          expect(error.startsWith('invalid envelope: ')).toBe(true);
          for (const name of named) expect([...ENVELOPE_FIELDS, '(body)']).toContain(name);
          if (field !== null) expect(named).toContain(field);
        }
        expect(delivery.events).toHaveLength(0);
      }),
      { numRuns: 300, seed: SEED + 1 },
    );
    expect([...errors].sort()).toEqual(['body is not JSON', 'invalid envelope']);
  });

  it('delivers each validly signed outcome exactly once, field for field (the properties above are not vacuous)', async () => {
    await fc.assert(
      fc.asyncProperty(outcomeEnvelopes, fc.constantFrom(...SECRETS), async (envelope, secret) => {
        delivery.events.length = 0;
        const body = Buffer.from(JSON.stringify(envelope));
        const answer = await request(origin, {
          method: 'POST',
          path: '/webhooks/caliza',
          headers: signedJsonHeaders(body, secret),
          body,
        });
        expect(answer.status).toBe(200);
        expect(delivery.events).toEqual([
          {
            operation: envelope.operation,
            beneficiaryId: envelope.beneficiaryId,
            createdAt: envelope.createdAt,
            success: envelope.success,
            message: envelope.message,
          },
        ]);
      }),
      { numRuns: 150, seed: SEED + 2 },
    );
  });

  it('answers 200 ignored, without delivering, to signed envelopes of other operations', async () => {
    const others = fc.tuple(
      outcomeEnvelopes,
      fc.string({ minLength: 1, maxLength: 128 }).filter((op) => !op.startsWith('BENEFICIARY_')),
    );
    await fc.assert(
      fc.asyncProperty(others, async ([envelope, operation]) => {
        const body = Buffer.from(JSON.stringify({ ...envelope, operation }));
        const answer = await request(origin, {
          method: 'POST',
          path: '/webhooks/caliza',
          headers: signedJsonHeaders(body, SECRETS[0] as string),
          body,
        });
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body.toString('utf8'))).toEqual({ status: 'ignored' });
        expect(delivery.events).toHaveLength(0);
      }),
      { numRuns: 50, seed: SEED + 3 },
    );
  });

  it('answers a malformed percent-encoding in the path with a short JSON 4xx that does not echo the URL', async () => {
    // Known to fail: Fastify reports FST_ERR_BAD_URL through its `frameworkErrors` hook, which the app does
    // not set, so the default answer quotes the whole path back (see docs/reliability.md, known limits).
    const path = `/webhooks/caliza%ZZ${'A'.repeat(300)}`;
    const body = Buffer.from('{}');
    const answer = await request(origin, {
      method: 'POST',
      path,
      headers: signedJsonHeaders(body, SECRETS[0] as string),
      body,
    });
    expectShortJsonError(answer, 'POST');
    expect(answer.body.toString('utf8')).not.toContain('AAAA');
    expect(delivery.events).toHaveLength(0);
  });

  describe('the body limit', () => {
    /**
     * A signed outcome envelope padded (in a field the receiver ignores) to exactly `size` bytes, one event
     * per size (an event already accepted is not delivered again).
     */
    function envelopeOfSize(size: number): Buffer {
      const base = {
        operation: 'BENEFICIARY_APPROVED',
        beneficiaryId: 'b-limit',
        createdAt: `now-${size}`,
        pad: '',
      };
      const padding = size - Buffer.byteLength(JSON.stringify(base));
      return Buffer.from(JSON.stringify({ ...base, pad: 'p'.repeat(padding) }));
    }

    it.each([BODY_LIMIT - 1, BODY_LIMIT])('accepts and delivers a signed body of %i bytes', async (size) => {
      const body = envelopeOfSize(size);
      expect(body.length).toBe(size);
      const answer = await request(origin, {
        method: 'POST',
        path: '/webhooks/caliza',
        headers: signedJsonHeaders(body, SECRETS[0] as string),
        body,
      });
      expect(answer.status).toBe(200);
      expect(delivery.events).toHaveLength(1);
    });

    it.each([
      ['declared', false],
      ['chunked', true],
    ])(
      'refuses a signed body one byte over the limit (%s) with 413, without delivering it',
      async (_, chunked) => {
        const body = envelopeOfSize(BODY_LIMIT + 1);
        const answer = await request(origin, {
          method: 'POST',
          path: '/webhooks/caliza',
          headers: signedJsonHeaders(body, SECRETS[0] as string),
          ...(chunked ? { chunks: [body.subarray(0, 1_000), body.subarray(1_000)] } : { body }),
        });
        expect(answer.status).toBe(413);
        expectShortJsonError(answer, 'POST');
        expect(delivery.events).toHaveLength(0);
      },
    );

    it('refuses a huge declared Content-Length at once and closes the connection, without waiting for the body', async () => {
      const head =
        'POST /webhooks/caliza HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `${SIGNATURE_HEADER}: AAAA\r\nContent-Length: 107374182400\r\n\r\n{"operation":`;
      const exchange = await rawExchange(Number(origin.port), head, 5_000);
      expect(exchange.received).toMatch(/^HTTP\/1\.1 413 /);
      expect(exchange.received.toLowerCase()).toContain('connection: close');
      // The server hung up: it did not sit waiting for 100 GiB that will never come.
      expect(exchange.closedByServer).toBe(true);
      expect(exchange.elapsedMs).toBeLessThan(2_000);
      expect(delivery.events).toHaveLength(0);
    });
  });
});
