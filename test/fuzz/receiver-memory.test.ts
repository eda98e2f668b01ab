import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import pino from 'pino';
import { SIGNATURE_HEADER } from '../../src/caliza/signature';
import { type RunningWebhookReceiver, startWebhookReceiver } from '../../src/webhooks';
import { RecordingDelivery } from '../webhooks/support';
import { rawExchange, request } from './raw-http';

const BODY_LIMIT = 1024 * 1024;
const ROUNDS = 40;
/** Each round sends about 2.5 MiB; holding on to even a tenth of it would show far above this. */
const MAX_GROWTH_BYTES = 24 * 1024 * 1024;

/** V8's collector, when it can be exposed at run time, so that the figures are live memory only. */
function garbageCollector(): (() => void) | null {
  v8.setFlagsFromString('--expose-gc');
  const gc: unknown = vm.runInNewContext('gc');
  return typeof gc === 'function' ? (gc as () => void) : null;
}

describe('webhook receiver memory under large requests', () => {
  let receiver: RunningWebhookReceiver;
  let origin: URL;
  const delivery = new RecordingDelivery();

  beforeAll(async () => {
    receiver = await startWebhookReceiver({
      port: 0,
      host: '127.0.0.1',
      secrets: ['whsec_memory_0123456789'],
      bodyLimitBytes: BODY_LIMIT,
      delivery,
      logger: pino({ level: 'silent' }),
    });
    origin = new URL(receiver.baseUrl);
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('stays flat across many bodies at the limit, over it, and declared far over it', async () => {
    // Allocated once, before measuring: only the receiver's memory should move.
    const atLimit = randomBytes(BODY_LIMIT - 1);
    const overLimit = [randomBytes(BODY_LIMIT / 2), randomBytes(BODY_LIMIT / 2), randomBytes(BODY_LIMIT / 2)];
    const headers = { 'content-type': 'application/json', [SIGNATURE_HEADER]: 'bm90IGEgc2lnbmF0dXJl' };
    const answers = new Map<string, number>();
    const count = (what: string): void => {
      answers.set(what, (answers.get(what) ?? 0) + 1);
    };
    const round = async (): Promise<void> => {
      // Read in full and checked: a wrong signature.
      count(
        String(
          (await request(origin, { method: 'POST', path: '/webhooks/caliza', headers, body: atLimit }))
            .status,
        ),
      );
      // Cut off at the limit while it streams in; the server may hang up before the client has sent it all.
      try {
        const answer = await request(origin, {
          method: 'POST',
          path: '/webhooks/caliza',
          headers,
          chunks: overLimit,
        });
        count(String(answer.status));
      } catch {
        count('reset');
      }
      // Refused from its Content-Length alone.
      const exchange = await rawExchange(
        Number(origin.port),
        `POST /webhooks/caliza HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${50 * BODY_LIMIT}\r\n\r\n`,
        5_000,
      );
      count(exchange.received.slice(9, 12));
    };

    const gc = garbageCollector();
    const live = (): number => {
      gc?.();
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers;
    };
    await round();
    const before = live();
    for (let i = 0; i < ROUNDS; i += 1) await round();
    const growth = live() - before;

    expect(answers.get('401')).toBe(ROUNDS + 1);
    expect((answers.get('413') ?? 0) + (answers.get('reset') ?? 0)).toBe(2 * (ROUNDS + 1));
    expect(delivery.events).toHaveLength(0);
    expect(growth).toBeLessThan(gc ? MAX_GROWTH_BYTES : 4 * MAX_GROWTH_BYTES);
  }, 60_000);
});
