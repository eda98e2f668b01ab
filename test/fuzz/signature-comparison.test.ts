import crypto from 'node:crypto';
import fc from 'fast-check';
import pino from 'pino';
import { SIGNATURE_HEADER, signWebhookBody } from '../../src/caliza/signature';
import { type RunningWebhookReceiver, startWebhookReceiver } from '../../src/webhooks';
import { RecordingDelivery } from '../webhooks/support';
import { request } from './raw-http';

const SECRETS = ['whsec_first_0123456789', 'whsec_second_0123456789', 'whsec_third_0123456789'];
const BODY = Buffer.from(
  JSON.stringify({
    operation: 'BENEFICIARY_APPROVED',
    beneficiaryId: 'b-timing',
    createdAt: '2026-01-01T00:00:00',
  }),
);

/**
 * The signature check must not leak, through its timing, how much of a guess was right or which secret
 * matched. Timings are not measured (too noisy to assert); instead this checks the code path: every
 * configured secret goes through `crypto.timingSafeEqual`, with buffers of equal length, whatever the
 * length of the signature received, and a length mismatch never short-circuits before the comparison.
 */
describe('webhook signature comparison', () => {
  let receiver: RunningWebhookReceiver;
  let origin: URL;
  const delivery = new RecordingDelivery();
  let compare: jest.SpyInstance<boolean, Parameters<typeof crypto.timingSafeEqual>>;

  beforeAll(async () => {
    receiver = await startWebhookReceiver({
      port: 0,
      host: '127.0.0.1',
      secrets: SECRETS,
      delivery,
      logger: pino({ level: 'silent' }),
    });
    origin = new URL(receiver.baseUrl);
    compare = jest.spyOn(crypto, 'timingSafeEqual');
  });
  afterAll(async () => {
    compare?.mockRestore();
    await receiver?.close();
  });
  beforeEach(() => {
    compare.mockClear();
    delivery.events.length = 0;
  });

  const post = (signature: string) =>
    request(origin, {
      method: 'POST',
      path: '/webhooks/caliza',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
      body: BODY,
    });

  /** The comparisons made, as [length of a, length of b, b is the received signature]. */
  const comparisons = (signature: string) =>
    compare.mock.calls.map(([a, b]) => [
      (a as Buffer).length,
      (b as Buffer).length,
      Buffer.compare(b as Buffer, Buffer.from(signature)) === 0,
    ]);

  it.each([
    ['the first', 0],
    ['the last', 2],
  ])('compares against every secret when %s secret matches', async (_, index) => {
    const signature = signWebhookBody(BODY, SECRETS[index] as string);
    expect((await post(signature)).status).toBe(200);
    expect(comparisons(signature)).toEqual(SECRETS.map(() => [signature.length, signature.length, true]));
    expect(compare.mock.results.map((r) => r.value)).toEqual(SECRETS.map((_, i) => i === index));
  });

  it('compares the received bytes against every secret when a wrong signature has the right length', async () => {
    const right = signWebhookBody(BODY, SECRETS[0] as string);
    const wrong = `${right.slice(0, -2)}${right.endsWith('A=') ? 'B=' : 'A='}`;
    expect(wrong).toHaveLength(right.length);
    expect((await post(wrong)).status).toBe(401);
    expect(comparisons(wrong)).toEqual(SECRETS.map(() => [right.length, right.length, true]));
    expect(delivery.events).toHaveLength(0);
  });

  it.each([1, 43, 45, 128])(
    'still makes one equal-length comparison per secret for a signature of %i characters',
    async (length) => {
      const signature = 'A'.repeat(length);
      expect((await post(signature)).status).toBe(401);
      // timingSafeEqual throws on buffers of different lengths: each call compares two 44-byte buffers.
      expect(comparisons(signature)).toEqual(SECRETS.map(() => [44, 44, false]));
    },
  );

  it('never throws, and compares once per secret, for signatures of any length and content', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({
          unit: fc.constantFrom(
            ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='.split(''),
          ),
          minLength: 1,
          maxLength: 128,
        }),
        async (signature) => {
          compare.mockClear();
          expect((await post(signature)).status).toBe(401);
          expect(compare).toHaveBeenCalledTimes(SECRETS.length);
          for (const [a, b] of compare.mock.calls) expect((a as Buffer).length).toBe((b as Buffer).length);
        },
      ),
      { numRuns: 100, seed: 20_260_128 },
    );
  });
});
