import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DeliveryLogEntry } from '../../caliza-double/delivery-log';
import { UNDOCUMENTED_BEHAVIOUR, type UndocumentedChoice } from '../../caliza-double/undocumented-behaviour';
import {
  eventually,
  sessionReaches,
  startHarness,
  WebhookReceiver,
  type CodedErrorBody,
  type Harness,
  type SessionBody,
} from './support';

interface StatsBody {
  sessionsCreatedByBeneficiary: Record<string, number>;
  apiCalls: Record<string, Record<string, number>>;
  webhooks: Record<string, number>;
  state: { beneficiaries: number; sessions: number; sessionsByStatus: Record<string, number> };
  pendingWebhookDeliveries: number;
}

describe('sandbox admin API', () => {
  let h: Harness;
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    receiver = await new WebhookReceiver().start();
    h = await startHarness({ processingDelayMs: 5 });
    await h.setCallbackUrl(receiver.url);
  });
  afterEach(async () => {
    await h.close();
    await receiver.close();
  });

  it('exposes the URLs, credentials, integrator id and current webhook secret', async () => {
    const info = await h.admin<Record<string, unknown>>('/info');
    expect(info.status).toBe(200);
    expect(info.json).toMatchObject({
      url: h.sandbox.url,
      apiBaseUrl: h.sandbox.apiBaseUrl,
      tokenUrl: h.sandbox.tokenUrl,
      integratorId: h.sandbox.integratorId,
      credentials: h.sandbox.credentials,
      webhookSecret: h.sandbox.webhookSecret(),
      callbackUrl: receiver.url,
      seed: 42,
    });
    await h.api(`/v1/integrators/${h.sandbox.integratorId}/update-webhook-secret`, { method: 'POST' });
    expect((await h.admin<{ webhookSecret: string }>('/info')).json.webhookSecret).toBe(
      h.sandbox.webhookSecret(),
    );
  });

  it('decides through POST /__admin/beneficiaries/{id}/decision and reports the errors', async () => {
    const beneficiary = await h.createBeneficiary();
    const path = `/beneficiaries/${beneficiary.id}/decision`;
    const noSession = await h.admin<CodedErrorBody>(path, { method: 'POST', json: { decision: 'approve' } });
    expect(noSession.status).toBe(404);
    expect(noSession.json.code).toBe('verification.not_found');

    const unknown = await h.admin<CodedErrorBody>('/beneficiaries/0123456789abcdef01234567/decision', {
      method: 'POST',
      json: { decision: 'approve' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('beneficiary.not_found');

    const session = await h.createSession(beneficiary.id);
    expect((await h.admin(path, { method: 'POST', json: { decision: 'sure' } })).status).toBe(400);

    const decided = await h.admin<SessionBody & { decision: Record<string, unknown> }>(path, {
      method: 'POST',
      json: { decision: 'reject', reason: 'Selfie mismatch' },
    });
    expect(decided.status).toBe(202);
    expect(decided.json).toMatchObject({
      id: session.id,
      status: 'PROCESSING',
      decision: { requested: 'reject', applied: 'reject', source: 'admin', reason: 'Selfie mismatch' },
    });
    const again = await h.admin<CodedErrorBody>(path, { method: 'POST', json: { decision: 'approve' } });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('verification.not_pending');

    const [hook] = await receiver.waitFor(1);
    expect(hook?.body).toMatchObject({ operation: 'BENEFICIARY_FAILED', message: 'Selfie mismatch' });
  });

  it('auto-decides new sessions after a random delay when enabled, and stops when disabled', async () => {
    const enabled = await h.admin('/auto-decide', {
      method: 'PUT',
      json: { minDelayMs: 5, maxDelayMs: 25, approveShare: 1 },
    });
    expect(enabled.json).toEqual({ autoDecide: { minDelayMs: 5, maxDelayMs: 25, approveShare: 1 } });
    const approved = await Promise.all([1, 2, 3].map(() => h.createBeneficiary()));
    for (const beneficiary of approved) await h.createSession(beneficiary.id);
    for (const beneficiary of approved) await sessionReaches(h, beneficiary.id, 'SUCCEEDED');

    await h.admin('/auto-decide', { method: 'PUT', json: { minDelayMs: 0, maxDelayMs: 5, approveShare: 0 } });
    const rejected = await h.createBeneficiary();
    await h.createSession(rejected.id);
    await sessionReaches(h, rejected.id, 'FAILED');
    await receiver.waitFor(4);

    expect((await h.admin('/auto-decide', { method: 'DELETE' })).json).toEqual({ autoDecide: null });
    const manual = await h.createBeneficiary();
    await h.createSession(manual.id);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect((await h.api<SessionBody>(`/v1/beneficiaries/${manual.id}/verification`)).json.status).toBe(
      'PENDING',
    );

    const invalid = await h.admin('/auto-decide', {
      method: 'PUT',
      json: { minDelayMs: 50, maxDelayMs: 10, approveShare: 0.5 },
    });
    expect(invalid.status).toBe(400);
  });

  it('auto-decides with the start-up option, splitting by approveShare', async () => {
    const other = await startHarness({
      processingDelayMs: 1,
      autoDecide: { minDelayMs: 0, maxDelayMs: 10, approveShare: 0.5 },
    });
    try {
      await other.setCallbackUrl(receiver.url);
      const beneficiaries = [];
      for (let i = 0; i < 40; i += 1) beneficiaries.push(await other.createBeneficiary());
      for (const beneficiary of beneficiaries) await other.createSession(beneficiary.id);
      const stats = await eventually(async () => {
        const answer = await other.admin<StatsBody>('/stats');
        const { SUCCEEDED = 0, FAILED = 0 } = answer.json.state.sessionsByStatus;
        return SUCCEEDED + FAILED === 40 ? answer.json : undefined;
      });
      expect(stats.state.sessionsByStatus.SUCCEEDED).toBeGreaterThan(8);
      expect(stats.state.sessionsByStatus.FAILED).toBeGreaterThan(8);
    } finally {
      await other.close();
    }
  });

  it('reports sessions per beneficiary, API calls by route and status, and webhook counters', async () => {
    const first = await h.createBeneficiary();
    const second = await h.createBeneficiary();
    await h.createSession(first.id);
    await h.createSession(first.id);
    await h.api(`/v1/beneficiaries/${first.id}/verification`);
    await h.api('/v1/beneficiaries/0123456789abcdef01234567');
    await h.admin(`/beneficiaries/${first.id}/decision`, { method: 'POST', json: { decision: 'approve' } });
    await receiver.waitFor(1);

    const stats = await eventually(async () => {
      const answer = await h.admin<StatsBody>('/stats');
      return answer.json.webhooks.acknowledged === 1 ? answer.json : undefined;
    });
    expect(stats.sessionsCreatedByBeneficiary).toEqual({ [first.id]: 1 });
    expect(stats.apiCalls).toMatchObject({
      'POST /auth/realms/caliza/protocol/openid-connect/token': { 200: 1 },
      'PATCH /core-api/v1/integrators/:integratorId/webhooks': { 200: 1 },
      'POST /core-api/v1/beneficiaries': { 201: 2 },
      'POST /core-api/v1/beneficiaries/:beneficiaryId/verification': { 200: 1, 201: 1 },
      'GET /core-api/v1/beneficiaries/:beneficiaryId/verification': { 200: 1 },
      'GET /core-api/v1/beneficiaries/:beneficiaryId': { 404: 1 },
    });
    expect(Object.keys(stats.apiCalls).some((route) => route.includes('__admin'))).toBe(false);
    expect(stats.webhooks).toEqual({
      events: 1,
      deliveries: 1,
      attempts: 1,
      acknowledged: 1,
      failed: 0,
      dropped: 0,
    });
    expect(stats.state).toMatchObject({ beneficiaries: 2, sessions: 1 });
    expect(stats.pendingWebhookDeliveries).toBe(0);
    expect(second.id).not.toBe(first.id);
  });

  it('filters and pages the delivery log', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const beneficiary = await h.createBeneficiary();
      await h.createSession(beneficiary.id);
      await h.admin(`/beneficiaries/${beneficiary.id}/decision`, {
        method: 'POST',
        json: { decision: 'approve' },
      });
      ids.push(beneficiary.id);
    }
    await receiver.waitFor(3);
    const all = await eventually(async () => {
      const answer = await h.admin<{ entries: DeliveryLogEntry[] }>('/webhooks/deliveries');
      return answer.json.entries.length === 3 ? answer.json.entries : undefined;
    });
    const one = await h.admin<{ entries: DeliveryLogEntry[] }>(
      `/webhooks/deliveries?beneficiaryId=${ids[1]}`,
    );
    expect(one.json.entries.map((entry) => entry.beneficiaryId)).toEqual([ids[1]]);
    const paged = await h.admin<{ entries: DeliveryLogEntry[] }>(
      `/webhooks/deliveries?afterSeq=${all[0]?.seq}&limit=1`,
    );
    expect(paged.json.entries).toEqual([all[1]]);
    expect((await h.admin('/webhooks/deliveries?limit=0')).status).toBe(400);
  });

  it('shows a beneficiary with its session history', async () => {
    const beneficiary = await h.createBeneficiary();
    const session = await h.createSession(beneficiary.id);
    const answer = await h.admin<{ beneficiary: { id: string }; sessions: Array<Record<string, unknown>> }>(
      `/beneficiaries/${beneficiary.id}`,
    );
    expect(answer.json.beneficiary.id).toBe(beneficiary.id);
    expect(answer.json.sessions).toEqual([
      expect.objectContaining({ id: session.id, hostedUrl: session.verificationUrl, decision: null }),
    ]);
  });

  it('lists every undocumented choice, with unique ids', async () => {
    const answer = await h.admin<UndocumentedChoice[]>('/undocumented-behaviour');
    expect(answer.json).toEqual(UNDOCUMENTED_BEHAVIOUR);
    const ids = answer.json.map((choice) => choice.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const choice of answer.json) {
      expect(choice.gap.length).toBeGreaterThan(10);
      expect(choice.choice.length).toBeGreaterThan(10);
    }
  });

  it('mirrors every undocumented choice in docs/caliza-double.md', () => {
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    const docs = flat(readFileSync(path.resolve(__dirname, '../../docs/caliza-double.md'), 'utf8'));
    for (const choice of UNDOCUMENTED_BEHAVIOUR) {
      expect(docs).toContain(`\`${choice.id}\``);
      expect(docs).toContain(flat(choice.gap));
      expect(docs).toContain(flat(choice.choice));
    }
  });
});
