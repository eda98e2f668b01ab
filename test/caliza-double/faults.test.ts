import type { DeliveryLogEntry } from '../../caliza-double/delivery-log';
import type { FaultCounts } from '../../caliza-double/fault-injector';
import {
  eventually,
  getToken,
  individualPayload,
  request,
  sessionReaches,
  sleep,
  startHarness,
  WebhookReceiver,
  type CodedErrorBody,
  type Harness,
} from './support';

interface FaultsBody {
  seed: number;
  config: { api: Record<string, unknown>; webhooks: Record<string, unknown>; forceOutcome: string | null };
  counts: FaultCounts;
}

const counts = async (h: Harness) => (await h.admin<FaultsBody>('/faults')).json.counts;

describe('injected API faults', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
    await h.setCallbackUrl('http://127.0.0.1:9/unused');
  });
  afterEach(() => h.close());

  it('answers every API call with a coded 5xx at share 1, without touching state or the token endpoint', async () => {
    const patched = await h.admin<FaultsBody>('/faults', {
      method: 'PATCH',
      json: { api: { serverErrorShare: 1 } },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.config.api.serverErrorShare).toBe(1);

    const statuses = new Set<number>();
    for (let i = 0; i < 12; i += 1) {
      const answer = await h.api<CodedErrorBody>('/v1/beneficiaries', {
        json: individualPayload(`fault-${i}`),
      });
      statuses.add(answer.status);
      expect([500, 502, 503]).toContain(answer.status);
      expect(answer.headers.get('x-sandbox-fault')).toBe('server-error');
      expect(answer.json).toMatchObject({ path: '/v1/beneficiaries', traceId: expect.any(String) });
      expect(['internal.error', 'service.unavailable']).toContain(answer.json.code);
    }
    expect(statuses.size).toBeGreaterThan(1);
    expect(await getToken(h.sandbox)).toEqual(expect.any(String));
    expect((await counts(h)).apiServerErrors).toBe(12);

    await h.admin('/faults', { method: 'PATCH', json: { api: { serverErrorShare: 0 } } });
    const stats = await h.admin<{ state: { beneficiaries: number } }>('/stats');
    expect(stats.json.state.beneficiaries).toBe(0);
    expect((await h.api('/v1/beneficiaries', { json: individualPayload('fault-0') })).status).toBe(201);
  });

  it('applies faults to the token endpoint only when asked to', async () => {
    await h.admin('/faults', {
      method: 'PATCH',
      json: { api: { serverErrorShare: 1, serverErrorStatuses: [502] } },
    });
    expect((await request(h.sandbox.tokenUrl, { form: { grant_type: 'password' } })).status).toBe(401);
    await h.admin('/faults', { method: 'PATCH', json: { api: { includeTokenEndpoint: true } } });
    expect((await request(h.sandbox.tokenUrl, { form: { grant_type: 'password' } })).status).toBe(502);
  });

  it('answers 429 with Retry-After at share 1, before authentication', async () => {
    await h.admin('/faults', { method: 'PATCH', json: { api: { rateLimitShare: 1, retryAfterSeconds: 7 } } });
    const answer = await request<CodedErrorBody>(`${h.sandbox.apiBaseUrl}/v1/integrators/me`);
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('7');
    expect(answer.json).toMatchObject({ code: 'rate_limit.exceeded', path: '/v1/integrators/me' });
    expect((await counts(h)).apiRateLimited).toBe(1);
  });

  it('adds latency to API calls', async () => {
    await h.admin('/faults', {
      method: 'PATCH',
      json: { api: { latencyShare: 1, latencyMinMs: 80, latencyMaxMs: 80 } },
    });
    const started = Date.now();
    expect((await h.api('/v1/integrators/me')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    expect((await counts(h)).apiLatencyAdded).toBe(1);
  });

  it('applies a share, reproducibly for the same seed, and counts it', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const other = await startHarness({
        seed,
        faults: { api: { serverErrorShare: 0.3, rateLimitShare: 0.2 } },
      });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 100; i += 1) statuses.push((await other.api('/v1/integrators/me')).status);
        const faultCounts = await counts(other);
        expect(faultCounts.apiServerErrors + faultCounts.apiRateLimited).toBe(
          statuses.filter((status) => status !== 200).length,
        );
        return statuses;
      } finally {
        await other.close();
      }
    };
    const first = await run(7);
    const failures = first.filter((status) => status !== 200).length;
    // Expected share 1 - 0.8 * 0.7 = 0.44.
    expect(failures).toBeGreaterThan(25);
    expect(failures).toBeLessThan(65);
    expect(first.filter((status) => status === 429).length).toBeGreaterThan(5);
    expect(await run(7)).toEqual(first);
    expect(await run(8)).not.toEqual(first);
  });

  it('validates fault updates and restores the start-up config on reset', async () => {
    const bad = await h.admin<{ errors: string[] }>('/faults', {
      method: 'PATCH',
      json: { api: { serverErrorShare: 2 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0]).toMatch(/^api\.serverErrorShare/);
    const inverted = await h.admin('/faults', {
      method: 'PATCH',
      json: { api: { latencyMinMs: 50, latencyMaxMs: 10 } },
    });
    expect(inverted.status).toBe(400);

    await h.admin('/faults', { method: 'PATCH', json: { api: { rateLimitShare: 1 } } });
    await h.api('/v1/integrators/me');
    expect((await counts(h)).apiRateLimited).toBe(1);
    const reset = await h.admin<FaultsBody>('/reset', { method: 'POST' });
    expect(reset.json.counts.apiRateLimited).toBe(0);
    expect(reset.json.config.api.rateLimitShare).toBe(0);
    expect((await h.api('/v1/integrators/me')).status).toBe(200);
    const stats = await h.admin<{ apiCalls: Record<string, Record<string, number>> }>('/stats');
    expect(stats.json.apiCalls).toEqual({ 'GET /core-api/v1/integrators/me': { 200: 1 } });
  });
});

describe('injected webhook faults and forced outcomes', () => {
  let h: Harness;
  let receiver: WebhookReceiver;

  const decide = (beneficiaryId: string, decision: 'approve' | 'reject' = 'approve') =>
    h.admin(`/beneficiaries/${beneficiaryId}/decision`, { method: 'POST', json: { decision } });
  const newDecided = async (decision: 'approve' | 'reject' = 'approve') => {
    const beneficiary = await h.createBeneficiary();
    await h.createSession(beneficiary.id);
    expect((await decide(beneficiary.id, decision)).status).toBe(202);
    return beneficiary;
  };
  const log = async () =>
    (await h.admin<{ entries: DeliveryLogEntry[] }>('/webhooks/deliveries')).json.entries;
  /** The log is written when the receiver's answer is back, a moment after the receiver saw the request. */
  const logOf = (count: number) =>
    eventually(async () => {
      const all = await log();
      return all.length >= count ? all : undefined;
    });
  const setWebhookFaults = (webhooks: Record<string, number>) =>
    h.admin('/faults', { method: 'PATCH', json: { webhooks } });

  beforeEach(async () => {
    receiver = await new WebhookReceiver().start();
    h = await startHarness({ processingDelayMs: 5 });
    await h.setCallbackUrl(receiver.url);
  });
  afterEach(async () => {
    await h.close();
    await receiver.close();
  });

  it('drops webhooks: nothing is sent, the drop is logged and counted', async () => {
    await setWebhookFaults({ dropShare: 1 });
    const beneficiary = await newDecided();
    await sessionReaches(h, beneficiary.id, 'SUCCEEDED');
    const entries = await logOf(1);
    expect(entries).toEqual([
      expect.objectContaining({
        beneficiaryId: beneficiary.id,
        attempt: 0,
        status: null,
        result: 'dropped',
        injectedFaults: ['dropped'],
      }),
    ]);
    await sleep(50);
    expect(receiver.received).toHaveLength(0);
    expect((await counts(h)).webhooksDropped).toBe(1);
    const stats = await h.admin<{ webhooks: Record<string, number> }>('/stats');
    expect(stats.json.webhooks).toMatchObject({ events: 1, dropped: 1, attempts: 0 });
  });

  it('duplicates webhooks: the same bytes arrive twice, as two deliveries', async () => {
    await setWebhookFaults({ duplicateShare: 1 });
    await newDecided();
    const [first, second] = await receiver.waitFor(2);
    expect(second?.rawBody.equals(first?.rawBody ?? Buffer.alloc(0))).toBe(true);
    const entries = await logOf(2);
    expect(entries[0]).toMatchObject({
      duplicateOf: null,
      injectedFaults: ['duplicated'],
      result: 'acknowledged',
    });
    expect(entries[1]).toMatchObject({ duplicateOf: entries[0]?.deliveryId, injectedFaults: ['duplicated'] });
    expect((await counts(h)).webhooksDuplicated).toBe(1);
  });

  it('delays webhooks by delayMs', async () => {
    await setWebhookFaults({ delayShare: 1, delayMs: 150 });
    const beneficiary = await newDecided();
    const done = await sessionReaches(h, beneficiary.id, 'SUCCEEDED');
    const [hook] = await receiver.waitFor(1);
    expect((hook?.at ?? 0) - Date.parse(done.lastModifiedDate)).toBeGreaterThanOrEqual(140);
    expect((await logOf(1))[0]?.injectedFaults).toEqual(['delayed']);
    expect((await counts(h)).webhooksDelayed).toBe(1);
  });

  it('reorders webhooks: a held-back event arrives after a later one', async () => {
    await setWebhookFaults({ reorderShare: 1, reorderMaxHoldMs: 5_000 });
    const earlier = await newDecided('approve');
    await sessionReaches(h, earlier.id, 'SUCCEEDED');
    await setWebhookFaults({ reorderShare: 0 });
    const later = await newDecided('reject');
    const hooks = await receiver.waitFor(2);
    expect(hooks.map((hook) => hook.body.beneficiaryId)).toEqual([later.id, earlier.id]);
    expect(hooks.map((hook) => hook.body.operation)).toEqual(['BENEFICIARY_FAILED', 'BENEFICIARY_APPROVED']);
    expect((await counts(h)).webhooksReordered).toBe(1);
    const entries = await logOf(2);
    expect(entries.find((entry) => entry.beneficiaryId === earlier.id)?.injectedFaults).toEqual([
      'reordered',
    ]);
  });

  it('releases a held-back webhook after reorderMaxHoldMs when no later event comes', async () => {
    await setWebhookFaults({ reorderShare: 1, reorderMaxHoldMs: 120 });
    const beneficiary = await newDecided();
    const done = await sessionReaches(h, beneficiary.id, 'SUCCEEDED');
    const [hook] = await receiver.waitFor(1);
    expect(hook?.body.beneficiaryId).toBe(beneficiary.id);
    expect((hook?.at ?? 0) - Date.parse(done.lastModifiedDate)).toBeGreaterThanOrEqual(110);
  });

  it('releases held-back webhooks on demand', async () => {
    await setWebhookFaults({ reorderShare: 1, reorderMaxHoldMs: 60_000 });
    const beneficiary = await newDecided();
    await sessionReaches(h, beneficiary.id, 'SUCCEEDED');
    await eventually(async () => ((await counts(h)).webhooksReordered === 1 ? true : undefined));
    expect(receiver.received).toHaveLength(0);
    expect((await h.admin('/webhooks/release-held', { method: 'POST' })).json).toEqual({ released: 1 });
    await receiver.waitFor(1);
  });

  it('forces every decision to the configured outcome and counts it', async () => {
    await h.admin('/faults', { method: 'PATCH', json: { forceOutcome: 'reject' } });
    const beneficiary = await h.createBeneficiary();
    const session = await h.createSession(beneficiary.id);
    const page = await request(session.verificationUrl ?? '', {
      form: { decision: 'approve' },
      headers: { accept: 'application/json' },
    });
    expect(page.status).toBe(200);
    await sessionReaches(h, beneficiary.id, 'FAILED');
    const [hook] = await receiver.waitFor(1);
    expect(hook?.body).toMatchObject({ operation: 'BENEFICIARY_FAILED', success: false });
    expect((await counts(h)).outcomesForced).toBe(1);

    await h.admin('/faults', { method: 'PATCH', json: { forceOutcome: 'approve' } });
    const other = await newDecided('reject');
    await sessionReaches(h, other.id, 'SUCCEEDED');
    expect((await counts(h)).outcomesForced).toBe(2);
    const history = await h.admin<{ sessions: Array<{ decision: { requested: string; applied: string } }> }>(
      `/beneficiaries/${other.id}`,
    );
    expect(history.json.sessions[0]?.decision).toMatchObject({ requested: 'reject', applied: 'approve' });
  });
});
