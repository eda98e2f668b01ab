import { ServiceError } from '@temporalio/client';
import { SIGNATURE_HEADER, signWebhookBody } from '../../src/caliza/signature';
import { type RunningWebhookReceiver, startWebhookReceiver } from '../../src/webhooks';
import {
  envelopeBody,
  memoryLogger,
  postSigned,
  RecordingDelivery,
  sample,
  send,
  signedHeaders,
} from './support';

const SECRET = 'whsec_current_0123456789';
const PREVIOUS = 'whsec_previous_0123456789';
const ROTATED_OUT = 'whsec_retired_0123456789';
const BODY_LIMIT = 4 * 1024;
const DELIVERY_TIMEOUT_MS = 400;

/** A gRPC UNAVAILABLE as the Temporal client reports it (wrapped in a ServiceError). */
function unavailableError(): ServiceError {
  const cause = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
  return new ServiceError('Failed to signalWithStart Workflow', { cause });
}

describe('webhook receiver answers', () => {
  let receiver: RunningWebhookReceiver;
  const delivery = new RecordingDelivery();
  let secrets: string[] = [SECRET];
  let ready = true;
  const logs = memoryLogger();

  beforeAll(async () => {
    receiver = await startWebhookReceiver({
      port: 0,
      host: '127.0.0.1',
      secrets: () => secrets,
      bodyLimitBytes: BODY_LIMIT,
      delivery,
      readiness: async () => {
        if (!ready) throw new Error('14 UNAVAILABLE');
      },
      deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
      retryAfterSeconds: 7,
      logger: logs.logger,
    });
  });
  afterAll(async () => {
    await receiver?.close();
  });
  beforeEach(() => {
    delivery.events.length = 0;
    delivery.answer = async () => 'ACCEPTED';
    secrets = [SECRET];
    ready = true;
  });

  const metricsText = async () => (await send(`${receiver.baseUrl}/metrics`, { method: 'GET' })).text;
  const deliveries = async (result: string) =>
    sample(await metricsText(), `caliza_webhook_deliveries_total{result="${result}"}`);

  describe('signature', () => {
    it("accepts the reference's test vector and refuses it with one byte changed", async () => {
      secrets = ['whsec_test_123'];
      const body = Buffer.from(
        '{"operation":"BENEFICIARY_APPROVED","resourceId":"6925dd986a93002882da640b","createdAt":"2025-01-15T16:50:00.123456","integratorId":"6920925fdbadfe09b1bf9e5e","beneficiaryId":"6925dd986a93002882da640b","message":null,"success":true,"data":{}}',
      );
      const headers = {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: 'dCfTuk2TeDRkGV8ux+WQ8a+P5BbKFTK87S6ciKjttwg=',
      };
      const accepted = await send(receiver.url, { body, headers });
      expect(accepted).toMatchObject({ status: 200, json: { status: 'accepted' } });
      expect(delivery.events).toEqual([
        {
          operation: 'BENEFICIARY_APPROVED',
          beneficiaryId: '6925dd986a93002882da640b',
          createdAt: '2025-01-15T16:50:00.123456',
          success: true,
          message: null,
        },
      ]);

      const tampered = Buffer.from(body);
      tampered[tampered.indexOf('6925dd98')] = '7'.charCodeAt(0);
      const refused = await send(receiver.url, { body: tampered, headers });
      expect(refused).toMatchObject({ status: 401, json: { error: 'invalid signature' } });
      expect(delivery.events).toHaveLength(1);
    });

    it('refuses a missing, a wrong, an empty and a rotated-out signature with 401, before reading the JSON', async () => {
      const body = envelopeBody();
      const missing = await send(receiver.url, { body, headers: { 'content-type': 'application/json' } });
      const wrong = await send(receiver.url, {
        body,
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhookBody('other', SECRET) },
      });
      const empty = await send(receiver.url, {
        body,
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: '' },
      });
      const rotatedOut = await postSigned(receiver.url, body, ROTATED_OUT);
      // Not JSON at all, but unsigned: the signature is checked first.
      const unsignedGarbage = await postSigned(receiver.url, Buffer.from('{not json'), ROTATED_OUT);
      for (const answer of [missing, wrong, empty, rotatedOut, unsignedGarbage]) {
        expect(answer.status).toBe(401);
        expect(answer.json).toEqual({ error: 'invalid signature' });
      }
      expect(delivery.events).toHaveLength(0);
    });

    it('accepts the previous secret while two are configured, and only the current one after the rotation', async () => {
      secrets = [SECRET, PREVIOUS];
      const fromPrevious = envelopeBody({ createdAt: '2026-01-01T00:00:01.000001' });
      const fromCurrent = envelopeBody({ createdAt: '2026-01-01T00:00:02.000001' });
      expect((await postSigned(receiver.url, fromPrevious, PREVIOUS)).status).toBe(200);
      expect((await postSigned(receiver.url, fromCurrent, SECRET)).status).toBe(200);
      secrets = [SECRET];
      expect((await postSigned(receiver.url, fromPrevious, PREVIOUS)).status).toBe(401);
      expect(delivery.events.map((e) => e.createdAt)).toEqual([
        '2026-01-01T00:00:01.000001',
        '2026-01-01T00:00:02.000001',
      ]);
    });

    it('answers 503 with Retry-After while no secret is known yet, rather than refusing the event', async () => {
      secrets = [];
      const answer = await postSigned(receiver.url, envelopeBody(), SECRET);
      expect(answer).toMatchObject({ status: 503, json: { error: 'not ready' } });
      expect(answer.headers['retry-after']).toBe('7');
      expect(delivery.events).toHaveLength(0);
    });
  });

  describe('body', () => {
    it.each<[string, Buffer]>([
      ['malformed JSON', Buffer.from('{"operation":"BENEFICIARY_APPROVED",')],
      ['an empty body', Buffer.alloc(0)],
      ['a JSON array', Buffer.from('[]')],
      ['JSON null', Buffer.from('null')],
      [
        'no beneficiaryId',
        Buffer.from(JSON.stringify({ operation: 'BENEFICIARY_APPROVED', createdAt: 'x' })),
      ],
      ['an empty beneficiaryId', envelopeBody({ beneficiaryId: '' })],
      ['no operation', Buffer.from(JSON.stringify({ beneficiaryId: 'b-1', createdAt: 'x', success: true }))],
      [
        'no createdAt',
        Buffer.from(JSON.stringify({ operation: 'BENEFICIARY_FAILED', beneficiaryId: 'b-1' })),
      ],
      ['a numeric operation', envelopeBody({ operation: 42 })],
      ['success as a string', envelopeBody({ success: 'true' })],
      ['message as a number', envelopeBody({ message: 5 })],
      ['an impossible legacy createdAt', envelopeBody({ createdAt: [2024, 2, 30, 10, 0, 0, 0] })],
      ['a beneficiaryId as an object', envelopeBody({ beneficiaryId: { $ne: null } })],
    ])('answers 400 to a signed body with %s', async (_name, body) => {
      const answer = await postSigned(receiver.url, body, SECRET);
      expect(answer.status).toBe(400);
      expect(Object.keys(answer.json as object)).toEqual(['error']);
      expect(answer.text.length).toBeLessThan(120);
      expect(answer.text).not.toContain(SECRET);
      expect(answer.text).not.toContain(signWebhookBody(body, SECRET));
      expect(delivery.events).toHaveLength(0);
    });

    it('names the offending fields without echoing their values', async () => {
      const answer = await postSigned(
        receiver.url,
        envelopeBody({ beneficiaryId: '', success: 'SECRET-LOOKING-VALUE' }),
        SECRET,
      );
      expect(answer).toMatchObject({
        status: 400,
        json: { error: 'invalid envelope: beneficiaryId, success' },
      });
      expect(answer.text).not.toContain('SECRET-LOOKING-VALUE');
    });

    it('normalises the legacy array createdAt and treats absent success and message as null', async () => {
      const body = Buffer.from(
        JSON.stringify({
          operation: 'BENEFICIARY_FAILED',
          resourceId: 'b-legacy',
          createdAt: [2024, 3, 15, 19, 23, 59, 401139000],
          beneficiaryId: 'b-legacy',
          data: { anything: ['goes'] },
          futureField: 1,
        }),
      );
      expect((await postSigned(receiver.url, body, SECRET)).status).toBe(200);
      expect(delivery.events).toEqual([
        {
          operation: 'BENEFICIARY_FAILED',
          beneficiaryId: 'b-legacy',
          createdAt: '2024-03-15T19:23:59.401139',
          success: null,
          message: null,
        },
      ]);
    });

    it('answers 200 and does nothing for operations other than the two outcomes', async () => {
      const before = await deliveries('ignored');
      const answer = await postSigned(
        receiver.url,
        envelopeBody({ operation: 'TRANSACTION_COMPLETED' }),
        SECRET,
      );
      expect(answer).toMatchObject({ status: 200, json: { status: 'ignored' } });
      expect(delivery.events).toHaveLength(0);
      expect(await deliveries('ignored')).toBe(before + 1);
    });

    it.each<[string, Record<string, unknown>]>([
      ['only an operation', { operation: 'INTEGRATOR_WEBHOOK_TEST' }],
      ['no beneficiaryId and no createdAt', { operation: 'TRANSACTION_COMPLETED', data: { id: 't-1' } }],
      ['fields of the wrong type', { operation: 'PAYMENT_IN_COMPLETED', beneficiaryId: 7, createdAt: null }],
      ['an operation longer than any envelope field', { operation: 'X'.repeat(500) }],
    ])('answers 200 ignored to a signed event of another operation with %s', async (_name, fields) => {
      const before = await deliveries('ignored');
      const answer = await postSigned(receiver.url, Buffer.from(JSON.stringify(fields)), SECRET);
      expect(answer).toMatchObject({ status: 200, json: { status: 'ignored' } });
      expect(delivery.events).toHaveLength(0);
      expect(await deliveries('ignored')).toBe(before + 1);
    });

    it('answers 413 to a body over the limit, from its Content-Length, without reading it', async () => {
      const declared = await send(receiver.url, {
        headers: { 'content-type': 'application/json', 'content-length': String(BODY_LIMIT + 1) },
        body: Buffer.alloc(BODY_LIMIT + 1, 0x20),
      });
      expect(declared).toMatchObject({ status: 413, json: { error: 'body too large' } });
      expect(declared.headers.connection).toBe('close');
    });

    it('answers 413 to a chunked body once it passes the limit, signed or not', async () => {
      const chunk = Buffer.alloc(1024, 0x20);
      const chunks = Array.from({ length: 8 }, () => chunk);
      const body = Buffer.concat(chunks);
      const answer = await send(receiver.url, { chunks, headers: signedHeaders(body, SECRET) });
      expect(answer).toMatchObject({ status: 413, json: { error: 'body too large' } });
      expect(delivery.events).toHaveLength(0);
    });

    it('accepts a body exactly at the limit', async () => {
      const envelope = envelopeBody({ createdAt: 'at-the-limit', pad: '' });
      // Grow the "pad" field until the body is exactly the limit.
      const body = envelopeBody({ createdAt: 'at-the-limit', pad: 'x'.repeat(BODY_LIMIT - envelope.length) });
      expect(body.length).toBe(BODY_LIMIT);
      expect((await postSigned(receiver.url, body, SECRET)).status).toBe(200);
    });
  });

  describe('method and content type', () => {
    it.each(['GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'])(
      'answers 405 with Allow: POST to %s',
      async (method) => {
        const answer = await send(receiver.url, { method });
        expect(answer.status).toBe(405);
        expect(answer.headers.allow).toBe('POST');
      },
    );

    it('reads a signed body under any content type, or none, like JSON', async () => {
      const types = ['text/plain', 'application/octet-stream', 'json', 'text/', undefined];
      const answers = [];
      for (const [index, type] of types.entries()) {
        const body = envelopeBody({ createdAt: `content-type-${index}` });
        const headers: Record<string, string> = { [SIGNATURE_HEADER]: signWebhookBody(body, SECRET) };
        if (type !== undefined) headers['content-type'] = type;
        answers.push(await send(receiver.url, { body, headers }));
      }
      expect(answers.map((answer) => [answer.status, answer.json])).toEqual(
        types.map(() => [200, { status: 'accepted' }]),
      );
      expect(delivery.events.map((event) => event.createdAt)).toEqual(
        types.map((_type, index) => `content-type-${index}`),
      );
    });

    it('still checks the signature of a body sent as text/plain or without a type', async () => {
      const body = envelopeBody({ createdAt: 'unsigned-text' });
      const plain = await send(receiver.url, { body, headers: { 'content-type': 'text/plain' } });
      const none = await send(receiver.url, { body });
      for (const answer of [plain, none]) {
        expect(answer).toMatchObject({ status: 401, json: { error: 'invalid signature' } });
      }
      expect(delivery.events).toHaveLength(0);
    });

    it('answers 415 to a compressed body, which is not the bytes Caliza signed', async () => {
      const body = envelopeBody({ createdAt: 'gzip' });
      for (const encoding of ['gzip', 'br', 'deflate']) {
        const answer = await send(receiver.url, {
          body,
          headers: { ...signedHeaders(body, SECRET), 'content-encoding': encoding },
        });
        expect(answer).toMatchObject({ status: 415, json: { error: 'content encoding must be identity' } });
      }
      expect(delivery.events).toHaveLength(0);
    });

    it('accepts application/json with a charset, in any letter case', async () => {
      const body = envelopeBody({ createdAt: 'charset' });
      const answer = await send(receiver.url, {
        body,
        headers: { ...signedHeaders(body, SECRET), 'content-type': 'Application/JSON; charset=UTF-8' },
      });
      expect(answer.status).toBe(200);
    });

    it('answers 404 elsewhere', async () => {
      expect((await send(`${receiver.baseUrl}/webhooks/other`, { body: '{}' })).status).toBe(404);
    });
  });

  describe('delivery to Temporal', () => {
    it('answers already_ended for a verification that already ended', async () => {
      delivery.answer = async () => 'ALREADY_ENDED';
      const endedAfter = async (operation: string) =>
        sample(await metricsText(), `caliza_webhook_already_ended_total{operation="${operation}"}`);
      const before = await endedAfter('BENEFICIARY_FAILED');
      const answer = await postSigned(
        receiver.url,
        envelopeBody({ operation: 'BENEFICIARY_FAILED', beneficiaryId: 'b-late', createdAt: 'late' }),
        SECRET,
      );
      expect(answer).toMatchObject({ status: 200, json: { status: 'already_ended' } });
      // Acknowledged and recorded nowhere: counted by operation, and logged at warn.
      expect(await endedAfter('BENEFICIARY_FAILED')).toBe(before + 1);
      expect(await endedAfter('BENEFICIARY_APPROVED')).toBe(0);
      const logged = logs
        .lines()
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.beneficiaryId === 'b-late');
      expect(logged).toMatchObject({ level: 40, result: 'already_ended', operation: 'BENEFICIARY_FAILED' });
    });

    it('answers recorded_after_end when an approval after the end started a recording run', async () => {
      delivery.answer = async () => 'RECORDED_AFTER_END';
      const before = await deliveries('recorded_after_end');
      const answer = await postSigned(receiver.url, envelopeBody({ createdAt: 'after-the-end' }), SECRET);
      expect(answer).toMatchObject({ status: 200, json: { status: 'recorded_after_end' } });
      expect(await deliveries('recorded_after_end')).toBe(before + 1);
    });

    it('answers 503 with Retry-After when Temporal is unreachable', async () => {
      delivery.answer = async () => {
        throw unavailableError();
      };
      const answer = await postSigned(receiver.url, envelopeBody(), SECRET);
      expect(answer).toMatchObject({ status: 503, json: { error: 'temporarily unavailable' } });
      expect(answer.headers['retry-after']).toBe('7');
    });

    it('answers 503 within its time budget when Temporal does not answer at all', async () => {
      delivery.answer = () => new Promise(() => undefined);
      const answer = await postSigned(receiver.url, envelopeBody(), SECRET);
      expect(answer.status).toBe(503);
      expect(answer.durationMs).toBeGreaterThanOrEqual(DELIVERY_TIMEOUT_MS - 50);
      expect(answer.durationMs).toBeLessThan(DELIVERY_TIMEOUT_MS + 2_000);
    });

    it('answers 500 (no Retry-After) when Temporal refuses the call for another reason', async () => {
      delivery.answer = async () => {
        const cause = Object.assign(new Error('3 INVALID_ARGUMENT: WorkflowId length exceeds limit'), {
          code: 3,
        });
        throw new ServiceError('Failed to signalWithStart Workflow', { cause });
      };
      const answer = await postSigned(receiver.url, envelopeBody(), SECRET);
      expect(answer).toMatchObject({ status: 500, json: { error: 'internal error' } });
      expect(answer.headers['retry-after']).toBeUndefined();
    });

    it('answers a duplicate of an accepted delivery without delivering it again, and counts it', async () => {
      const duplicates = async () => sample(await metricsText(), 'caliza_webhook_duplicate_deliveries_total');
      const before = await duplicates();
      const answeredDuplicate = await deliveries('duplicate');
      const body = envelopeBody({ createdAt: 'duplicate-me' });
      expect(await postSigned(receiver.url, body, SECRET)).toMatchObject({
        status: 200,
        json: { status: 'accepted' },
      });
      expect(await postSigned(receiver.url, body, SECRET)).toMatchObject({
        status: 200,
        json: { status: 'duplicate' },
      });
      expect(delivery.events).toHaveLength(1);
      expect(await duplicates()).toBe(before + 1);
      expect(await deliveries('duplicate')).toBe(answeredDuplicate + 1);
    });

    it('delivers copies that arrive together once, answering each only once Temporal accepted it', async () => {
      let release: () => void = () => undefined;
      const accepted = new Promise<void>((resolve) => {
        release = resolve;
      });
      delivery.answer = async () => {
        await accepted;
        return 'ACCEPTED';
      };
      const body = envelopeBody({ createdAt: 'together' });
      let answeredEarly = 0;
      const answers = Array.from({ length: 20 }, () =>
        postSigned(receiver.url, body, SECRET).finally(() => {
          answeredEarly += 1;
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(answeredEarly).toBe(0);
      release();
      const answered = await Promise.all(answers);
      expect(answered.map((answer) => answer.status)).toEqual(Array(20).fill(200));
      const kinds = answered.map((answer) => (answer.json as { status: string }).status).sort();
      expect(kinds).toEqual(['accepted', ...Array<string>(19).fill('duplicate')]);
      expect(delivery.events).toHaveLength(1);
    });

    it('delivers again after a failed delivery: only an accepted event is remembered', async () => {
      delivery.answer = async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw unavailableError();
      };
      const body = envelopeBody({ createdAt: 'failed-first' });
      const failed = await Promise.all(
        Array.from({ length: 5 }, () => postSigned(receiver.url, body, SECRET)),
      );
      expect(failed.map((answer) => answer.status)).toEqual([503, 503, 503, 503, 503]);
      expect(delivery.events).toHaveLength(1);
      delivery.answer = async () => 'ACCEPTED';
      expect(await postSigned(receiver.url, body, SECRET)).toMatchObject({
        status: 200,
        json: { status: 'accepted' },
      });
      expect(delivery.events).toHaveLength(2);
    });
  });

  describe('health, readiness and metrics', () => {
    it('answers /healthz, and /readyz by the readiness probe and the secrets', async () => {
      expect(await send(`${receiver.baseUrl}/healthz`, { method: 'GET' })).toMatchObject({
        status: 200,
        json: { status: 'ok' },
      });
      expect((await send(`${receiver.baseUrl}/readyz`, { method: 'GET' })).status).toBe(200);
      ready = false;
      expect(await send(`${receiver.baseUrl}/readyz`, { method: 'GET' })).toMatchObject({
        status: 503,
        json: { status: 'not_ready', reason: 'temporal unreachable' },
      });
      ready = true;
      secrets = [];
      expect(await send(`${receiver.baseUrl}/readyz`, { method: 'GET' })).toMatchObject({
        status: 503,
        json: { status: 'not_ready', reason: 'no webhook secret' },
      });
    });

    it('counts every result, signature failures and signal latency', async () => {
      const text = await metricsText();
      const before = (series: string) => sample(text, series);
      const names = [
        'caliza_webhook_deliveries_total{result="accepted"}',
        'caliza_webhook_deliveries_total{result="bad_signature"}',
        'caliza_webhook_deliveries_total{result="bad_request"}',
        'caliza_webhook_deliveries_total{result="too_large"}',
        'caliza_webhook_deliveries_total{result="unavailable"}',
        'caliza_webhook_deliveries_total{result="error"}',
        'caliza_webhook_signature_failures_total{reason="missing"}',
        'caliza_webhook_signature_failures_total{reason="invalid"}',
        'caliza_webhook_signal_duration_seconds_count{result="accepted"}',
      ];
      const initial = Object.fromEntries(names.map((name) => [name, before(name)]));
      for (const value of Object.values(initial)) expect(Number.isNaN(value)).toBe(false);

      await postSigned(receiver.url, envelopeBody({ createdAt: 'm-1' }), SECRET);
      await postSigned(receiver.url, envelopeBody(), ROTATED_OUT);
      await send(receiver.url, { body: envelopeBody(), headers: { 'content-type': 'application/json' } });
      await postSigned(receiver.url, Buffer.from('nope'), SECRET);
      await send(receiver.url, { method: 'GET' });
      await send(receiver.url, {
        headers: { 'content-type': 'application/json', 'content-length': String(BODY_LIMIT * 2) },
        body: Buffer.alloc(BODY_LIMIT * 2),
      });
      delivery.answer = async () => {
        throw unavailableError();
      };
      await postSigned(receiver.url, envelopeBody(), SECRET);
      delivery.answer = async () => {
        throw new Error('boom');
      };
      await postSigned(receiver.url, envelopeBody(), SECRET);

      const after = await metricsText();
      const delta = (name: string) => sample(after, name) - (initial[name] ?? 0);
      expect(delta('caliza_webhook_deliveries_total{result="accepted"}')).toBe(1);
      expect(delta('caliza_webhook_deliveries_total{result="bad_signature"}')).toBe(2);
      expect(delta('caliza_webhook_deliveries_total{result="bad_request"}')).toBe(2);
      expect(delta('caliza_webhook_deliveries_total{result="too_large"}')).toBe(1);
      expect(delta('caliza_webhook_deliveries_total{result="unavailable"}')).toBe(1);
      expect(delta('caliza_webhook_deliveries_total{result="error"}')).toBe(1);
      expect(delta('caliza_webhook_signature_failures_total{reason="missing"}')).toBe(1);
      expect(delta('caliza_webhook_signature_failures_total{reason="invalid"}')).toBe(1);
      expect(delta('caliza_webhook_signal_duration_seconds_count{result="accepted"}')).toBe(1);
    });

    it('never logs a secret, a signature or a body, and logs the beneficiary and operation', async () => {
      const body = envelopeBody({ beneficiaryId: 'b-logged', createdAt: 'logged', message: 'private text' });
      await postSigned(receiver.url, body, SECRET);
      await postSigned(receiver.url, body, ROTATED_OUT);
      const lines = logs.lines();
      const text = lines.join('\n');
      for (const secret of [SECRET, PREVIOUS, ROTATED_OUT, 'whsec_test_123'])
        expect(text).not.toContain(secret);
      expect(text).not.toContain(signWebhookBody(body, SECRET));
      expect(text).not.toContain(signWebhookBody(body, ROTATED_OUT));
      expect(text).not.toContain('private text');
      const delivered = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.beneficiaryId === 'b-logged');
      expect(delivered).toMatchObject({ operation: 'BENEFICIARY_APPROVED', result: 'accepted' });
    });
  });
});
