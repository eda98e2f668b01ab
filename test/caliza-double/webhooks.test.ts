import { SIGNATURE_HEADER, signWebhookBody, verifyWebhookSignature } from '../../src/caliza/signature';
import type { DeliveryLogEntry } from '../../caliza-double/delivery-log';
import { eventually, startHarness, WebhookReceiver, type Harness } from './support';

const ZONELESS_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

describe('webhook signature scheme', () => {
  it('reproduces the reference test vector with signWebhookBody', () => {
    const body =
      '{"operation":"BENEFICIARY_APPROVED","resourceId":"6925dd986a93002882da640b","createdAt":"2025-01-15T16:50:00.123456","integratorId":"6920925fdbadfe09b1bf9e5e","beneficiaryId":"6925dd986a93002882da640b","message":null,"success":true,"data":{}}';
    expect(signWebhookBody(Buffer.from(body), 'whsec_test_123')).toBe(
      'dCfTuk2TeDRkGV8ux+WQ8a+P5BbKFTK87S6ciKjttwg=',
    );
    expect(
      verifyWebhookSignature(Buffer.from(body), 'dCfTuk2TeDRkGV8ux+WQ8a+P5BbKFTK87S6ciKjttwg=', [
        'whsec_test_123',
      ]),
    ).toBe(true);
  });
});

describe('sandbox outcome webhooks', () => {
  let h: Harness;
  let receiver: WebhookReceiver;

  const deliveries = async (beneficiaryId: string) =>
    (await h.admin<{ entries: DeliveryLogEntry[] }>(`/webhooks/deliveries?beneficiaryId=${beneficiaryId}`))
      .json.entries;
  const decide = (beneficiaryId: string, decision: 'approve' | 'reject', reason?: string) =>
    h.admin(`/beneficiaries/${beneficiaryId}/decision`, { method: 'POST', json: { decision, reason } });
  const decidedBeneficiary = async (decision: 'approve' | 'reject', reason?: string) => {
    const beneficiary = await h.createBeneficiary();
    await h.createSession(beneficiary.id);
    expect((await decide(beneficiary.id, decision, reason)).status).toBe(202);
    return beneficiary;
  };

  beforeEach(async () => {
    receiver = await new WebhookReceiver().start();
    h = await startHarness({
      webhooks: { timeoutMs: 150, maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 1_000 },
    });
    await h.setCallbackUrl(receiver.url);
  });
  afterEach(async () => {
    await h.close();
    await receiver.close();
  });

  it('posts BENEFICIARY_APPROVED in the documented envelope, signed with the current secret', async () => {
    const beneficiary = await decidedBeneficiary('approve');
    const [hook] = await receiver.waitFor(1);
    if (!hook) throw new Error('no webhook');
    expect(hook.headers['content-type']).toBe('application/json');
    expect(Object.keys(hook.body)).toEqual([
      'operation',
      'resourceId',
      'createdAt',
      'integratorId',
      'beneficiaryId',
      'message',
      'success',
      'data',
    ]);
    expect(hook.body).toMatchObject({
      operation: 'BENEFICIARY_APPROVED',
      resourceId: beneficiary.id,
      createdAt: expect.stringMatching(ZONELESS_MICROS),
      integratorId: h.sandbox.integratorId,
      beneficiaryId: beneficiary.id,
      message: null,
      success: true,
      data: { ...beneficiary, status: 'APPROVED', kycVerified: true },
    });
    const signature = hook.headers[SIGNATURE_HEADER];
    expect(typeof signature).toBe('string');
    expect(signature).toBe(signWebhookBody(hook.rawBody, h.sandbox.webhookSecret()));
    expect(verifyWebhookSignature(hook.rawBody, signature as string, [h.sandbox.webhookSecret()])).toBe(true);
    expect(verifyWebhookSignature(hook.rawBody, signature as string, ['whsec_wrong'])).toBe(false);
  });

  it('posts BENEFICIARY_FAILED with success false and the failure reason as message', async () => {
    const withReason = await decidedBeneficiary('reject', 'Document expired');
    const withoutReason = await decidedBeneficiary('reject');
    const hooks = await receiver.waitFor(2);
    const byId = new Map(hooks.map((hook) => [hook.body.beneficiaryId, hook.body]));
    expect(byId.get(withReason.id)).toMatchObject({
      operation: 'BENEFICIARY_FAILED',
      success: false,
      message: 'Document expired',
      data: { status: 'FAILED', kycVerified: false },
    });
    expect(byId.get(withoutReason.id)?.message).toEqual(expect.stringContaining('verification failed'));
  });

  it('signs with the rotated secret at once; the old one no longer verifies', async () => {
    const oldSecret = h.sandbox.webhookSecret();
    const rotated = await h.api<{ secret: string }>(
      `/v1/integrators/${h.sandbox.integratorId}/update-webhook-secret`,
      {
        method: 'POST',
      },
    );
    await decidedBeneficiary('approve');
    const [hook] = await receiver.waitFor(1);
    const signature = hook?.headers[SIGNATURE_HEADER] as string;
    expect(verifyWebhookSignature(hook?.rawBody ?? Buffer.alloc(0), signature, [rotated.json.secret])).toBe(
      true,
    );
    expect(verifyWebhookSignature(hook?.rawBody ?? Buffer.alloc(0), signature, [oldSecret])).toBe(false);
  });

  it('retries a 500 with back-off, sends the same bytes, and logs both attempts', async () => {
    receiver.respondWith((index) => (index === 0 ? 500 : 200));
    const beneficiary = await decidedBeneficiary('approve');
    const [first, second] = await receiver.waitFor(2);
    expect(second?.rawBody.equals(first?.rawBody ?? Buffer.alloc(0))).toBe(true);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(15);

    const log = await eventually(async () => {
      const entries = await deliveries(beneficiary.id);
      return entries.length === 2 ? entries : undefined;
    });
    expect(log[0]).toMatchObject({
      operation: 'BENEFICIARY_APPROVED',
      beneficiaryId: beneficiary.id,
      attempt: 1,
      status: 500,
      error: 'HTTP 500',
      result: 'will-retry',
      nextAttemptInMs: 20,
      url: receiver.url,
      injectedFaults: [],
    });
    expect(log[1]).toMatchObject({
      attempt: 2,
      status: 200,
      error: null,
      result: 'acknowledged',
      nextAttemptInMs: null,
    });
    expect(log[0]?.deliveryId).toBe(log[1]?.deliveryId);
    expect(typeof log[0]?.durationMs).toBe('number');
    expect(Number.isNaN(Date.parse(log[0]?.time ?? ''))).toBe(false);

    const stats = await h.admin<{ webhooks: Record<string, number> }>('/stats');
    expect(stats.json.webhooks).toMatchObject({
      events: 1,
      deliveries: 1,
      attempts: 2,
      acknowledged: 1,
      failed: 0,
    });
  });

  it('signs a retry with the secret current when it is sent', async () => {
    const before = h.sandbox.webhookSecret();
    const rotate = () =>
      h.api(`/v1/integrators/${h.sandbox.integratorId}/update-webhook-secret`, { method: 'POST' });
    // The first attempt is answered 503 only after the rotation, so the retry is certainly sent after it.
    receiver.respondWith((index) => (index === 0 ? rotate().then(() => 503) : 200));
    await decidedBeneficiary('approve');
    const [first, second] = await receiver.waitFor(2);
    expect(verifyWebhookSignature(first!.rawBody, first!.headers[SIGNATURE_HEADER] as string, [before])).toBe(
      true,
    );
    expect(
      verifyWebhookSignature(second!.rawBody, second!.headers[SIGNATURE_HEADER] as string, [
        h.sandbox.webhookSecret(),
      ]),
    ).toBe(true);
    expect(h.sandbox.webhookSecret()).not.toBe(before);
  });

  it('treats no answer within the timeout as a failure and gives up after maxAttempts', async () => {
    receiver.respondWith(() => 'hang');
    const beneficiary = await decidedBeneficiary('approve');
    const log = await eventually(async () => {
      const entries = await deliveries(beneficiary.id);
      return entries.some((entry) => entry.result === 'failed') ? entries : undefined;
    });
    expect(receiver.received).toHaveLength(3);
    expect(log.map((entry) => [entry.attempt, entry.status, entry.result])).toEqual([
      [1, null, 'will-retry'],
      [2, null, 'will-retry'],
      [3, null, 'failed'],
    ]);
    expect(log.map((entry) => entry.nextAttemptInMs)).toEqual([20, 40, null]);
    for (const entry of log) {
      expect(entry.error).toBe('no response within 150 ms');
      expect(entry.durationMs).toBeGreaterThanOrEqual(140);
    }
    const stats = await h.admin<{ webhooks: Record<string, number>; pendingWebhookDeliveries: number }>(
      '/stats',
    );
    expect(stats.json.webhooks).toMatchObject({ attempts: 3, acknowledged: 0, failed: 1 });
    expect(stats.json.pendingWebhookDeliveries).toBe(0);
  });

  it('logs connection errors as failed attempts when the callback URL is unreachable', async () => {
    await h.setCallbackUrl('http://127.0.0.1:9/closed');
    const beneficiary = await decidedBeneficiary('reject');
    const log = await eventually(async () => {
      const entries = await deliveries(beneficiary.id);
      return entries.length === 3 ? entries : undefined;
    });
    expect(log.every((entry) => entry.status === null && typeof entry.error === 'string')).toBe(true);
    expect(log[2]?.result).toBe('failed');
    expect(receiver.received).toHaveLength(0);
  });
});
