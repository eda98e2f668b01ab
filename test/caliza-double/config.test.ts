import { DeliveryLog } from '../../caliza-double/delivery-log';
import { DEFAULT_CLI_PORT, optionsFromEnv } from '../../caliza-double/env';
import { createObjectIdGenerator } from '../../caliza-double/ids';
import { DEFAULT_WEBHOOK_DELIVERY, resolveOptions } from '../../caliza-double/options';
import { createRandom } from '../../caliza-double/prng';
import { startSandbox } from '../../caliza-double/server';
import { isoNanos, zonelessMicros } from '../../caliza-double/timestamps';
import { backoffDelayMs } from '../../caliza-double/webhook-dispatcher';

describe('sandbox options from the environment', () => {
  it('uses port 4010 and no overrides when nothing is set', () => {
    expect(optionsFromEnv({})).toEqual({ port: DEFAULT_CLI_PORT, logLevel: 'warn' });
  });

  it('reads every documented variable', () => {
    const options = optionsFromEnv({
      SANDBOX_PORT: '0',
      SANDBOX_HOST: '0.0.0.0',
      SANDBOX_PUBLIC_URL: 'http://sandbox.local:4010',
      SANDBOX_CLIENT_ID: 'cid',
      SANDBOX_PASSWORD: 'pw',
      SANDBOX_INTEGRATOR_ID: 'aaaaaaaaaaaaaaaaaaaaaaaa',
      SANDBOX_WEBHOOK_SECRET: 'whsec_x',
      SANDBOX_CALLBACK_URL: 'http://localhost:3000/hooks',
      SANDBOX_TOKEN_TTL_SECONDS: '30',
      SANDBOX_PROCESSING_DELAY_MS: '250',
      SANDBOX_WEBHOOK_TIMEOUT_MS: '2000',
      SANDBOX_WEBHOOK_MAX_ATTEMPTS: '4',
      SANDBOX_FAULT_5XX_SHARE: '0.1',
      SANDBOX_FAULT_5XX_STATUSES: '500, 503',
      SANDBOX_FAULT_429_SHARE: '0.05',
      SANDBOX_FAULT_RETRY_AFTER_SECONDS: '2',
      SANDBOX_FAULT_INCLUDE_TOKEN_ENDPOINT: 'true',
      SANDBOX_FAULT_WEBHOOK_DROP_SHARE: '0.2',
      SANDBOX_FAULT_WEBHOOK_REORDER_SHARE: '0.3',
      SANDBOX_FORCE_OUTCOME: 'reject',
      SANDBOX_AUTO_DECIDE: '1',
      SANDBOX_AUTO_DECIDE_APPROVE_SHARE: '0.9',
      SANDBOX_SEED: '99',
      SANDBOX_LOG_LEVEL: 'info',
    });
    expect(options).toEqual({
      port: 0,
      host: '0.0.0.0',
      publicUrl: 'http://sandbox.local:4010',
      credentials: { clientId: 'cid', password: 'pw' },
      integratorId: 'aaaaaaaaaaaaaaaaaaaaaaaa',
      webhookSecret: 'whsec_x',
      callbackUrl: 'http://localhost:3000/hooks',
      tokenTtlSeconds: 30,
      processingDelayMs: 250,
      webhooks: { timeoutMs: 2000, maxAttempts: 4 },
      faults: {
        api: {
          serverErrorShare: 0.1,
          serverErrorStatuses: [500, 503],
          rateLimitShare: 0.05,
          retryAfterSeconds: 2,
          includeTokenEndpoint: true,
        },
        webhooks: { dropShare: 0.2, reorderShare: 0.3 },
        forceOutcome: 'reject',
      },
      autoDecide: { minDelayMs: 500, maxDelayMs: 3000, approveShare: 0.9 },
      seed: 99,
      logLevel: 'info',
    });
    const resolved = resolveOptions(options);
    expect(resolved.credentials.username).toBe('integrator@sandbox.local');
    expect(resolved.webhooks).toEqual({ ...DEFAULT_WEBHOOK_DELIVERY, timeoutMs: 2000, maxAttempts: 4 });
    expect(resolved.faults.api.latencyShare).toBe(0);
    expect(resolved.faults.webhooks.dropShare).toBe(0.2);
  });

  it('refuses invalid values with the variable name', () => {
    expect(() => optionsFromEnv({ SANDBOX_PORT: 'abc' })).toThrow('SANDBOX_PORT');
    expect(() => optionsFromEnv({ SANDBOX_FAULT_5XX_SHARE: '1.5' })).toThrow('SANDBOX_FAULT_5XX_SHARE');
    expect(() => optionsFromEnv({ SANDBOX_FAULT_5XX_STATUSES: '404' })).toThrow('SANDBOX_FAULT_5XX_STATUSES');
    expect(() => optionsFromEnv({ SANDBOX_FORCE_OUTCOME: 'maybe' })).toThrow('SANDBOX_FORCE_OUTCOME');
    expect(() => optionsFromEnv({ SANDBOX_AUTO_DECIDE: 'perhaps' })).toThrow('SANDBOX_AUTO_DECIDE');
  });

  it('refuses inconsistent options', async () => {
    expect(() => resolveOptions({ integratorId: 'xyz' })).toThrow('integratorId');
    expect(() => resolveOptions({ webhooks: { maxAttempts: 0 } })).toThrow('maxAttempts');
    expect(() =>
      resolveOptions({ autoDecide: { minDelayMs: 10, maxDelayMs: 5, approveShare: 1 } }),
    ).toThrow();
    expect(() => resolveOptions({ faults: { webhooks: { dropShare: -1 } } })).toThrow();
    await expect(startSandbox({ callbackUrl: 'ftp://x' })).rejects.toThrow('callbackUrl');
  });
});

describe('sandbox building blocks', () => {
  it('draws the same sequence for the same seed and stream, and different ones otherwise', () => {
    const draw = (seed: number, label: string) => {
      const random = createRandom(seed, label);
      return Array.from({ length: 20 }, () => random.next());
    };
    expect(draw(1, 'api')).toEqual(draw(1, 'api'));
    expect(draw(1, 'api')).not.toEqual(draw(1, 'webhooks'));
    expect(draw(1, 'api')).not.toEqual(draw(2, 'api'));
    const random = createRandom(3, 'x');
    const values = Array.from({ length: 2000 }, () => random.between(5, 9));
    expect(Math.min(...values)).toBe(5);
    expect(Math.max(...values)).toBe(9);
  });

  it('makes unique 24-hex ids', () => {
    const next = createObjectIdGenerator();
    const ids = Array.from({ length: 1000 }, () => next());
    expect(new Set(ids).size).toBe(1000);
    expect(ids.every((id) => /^[0-9a-f]{24}$/.test(id))).toBe(true);
  });

  it('formats Caliza timestamps', () => {
    const at = Date.parse('2025-01-15T16:47:20.568Z');
    expect(isoNanos(at)).toMatch(/^2025-01-15T16:47:20\.568\d{6}Z$/);
    expect(zonelessMicros(at)).toMatch(/^2025-01-15T16:47:20\.568\d{3}$/);
  });

  it('doubles the retry delay up to the cap', () => {
    const config = { timeoutMs: 1, maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 500 };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(config, attempt))).toEqual([
      100, 200, 400, 500, 500,
    ]);
  });

  it('keeps only the newest entries in the delivery log', () => {
    const log = new DeliveryLog(3);
    for (let i = 1; i <= 5; i += 1) {
      log.append({
        deliveryId: i,
        duplicateOf: null,
        time: '',
        operation: 'BENEFICIARY_APPROVED',
        beneficiaryId: `b${i % 2}`,
        attempt: 1,
        url: null,
        status: 200,
        error: null,
        durationMs: 1,
        result: 'acknowledged',
        nextAttemptInMs: null,
        injectedFaults: [],
      });
    }
    expect(log.query({}).map((entry) => entry.seq)).toEqual([3, 4, 5]);
    expect(log.query({ beneficiaryId: 'b1' }).map((entry) => entry.seq)).toEqual([3, 5]);
    expect(log.query({ afterSeq: 3, limit: 1 }).map((entry) => entry.seq)).toEqual([4]);
  });
});
