import {
  HEX24,
  request,
  sessionReaches,
  startHarness,
  type BeneficiaryBody,
  type CodedErrorBody,
  type Harness,
  type SessionBody,
} from './support';

import { DEFAULT_FAILURE_REASON } from '../../caliza-double/undocumented-behaviour';

const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('sandbox verification sessions and hosted page', () => {
  let h: Harness;
  const verification = (beneficiaryId: string) => `/v1/beneficiaries/${beneficiaryId}/verification`;
  const decide = (url: string, decision: string, accept = 'application/json', reason?: string) =>
    request(url, { form: reason ? { decision, reason } : { decision }, headers: { accept } });

  beforeAll(async () => {
    // Long enough that the PROCESSING state is observable even on a busy machine.
    h = await startHarness({ processingDelayMs: 300 });
    await h.setCallbackUrl('http://127.0.0.1:9/unused');
  });
  afterAll(() => h.close());

  it('answers an unknown beneficiary with 404 beneficiary.not_found on POST and GET', async () => {
    for (const method of ['POST', 'GET']) {
      const answer = await h.api<CodedErrorBody>(verification('0123456789abcdef01234567'), { method });
      expect(answer.status).toBe(404);
      expect(answer.json).toMatchObject({
        code: 'beneficiary.not_found',
        path: '/v1/beneficiaries/0123456789abcdef01234567/verification',
      });
    }
  });

  it('answers GET before any session with 404 verification.not_found', async () => {
    const beneficiary = await h.createBeneficiary();
    const answer = await h.api<CodedErrorBody>(verification(beneficiary.id));
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({
      code: 'verification.not_found',
      message: expect.any(String),
      traceId: expect.stringMatching(/^[0-9a-f]{16}$/),
      path: `/v1/beneficiaries/${beneficiary.id}/verification`,
    });
  });

  it('creates an interactive session (201) and returns the same one while PENDING (200)', async () => {
    const beneficiary = await h.createBeneficiary();
    // Caliza's curl example sends no body at all.
    const created = await request<SessionBody>(`${h.sandbox.apiBaseUrl}${verification(beneficiary.id)}`, {
      method: 'POST',
      token: h.token,
      headers: { 'content-type': 'application/json' },
    });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: expect.stringMatching(HEX24),
      beneficiaryId: beneficiary.id,
      type: 'INDIVIDUAL',
      verificationType: 'INTERACTIVE',
      verificationUrl: `${h.sandbox.url}/hosted/verification/${created.json.id}`,
      status: 'PENDING',
      createdDate: expect.stringMatching(ISO_MILLIS),
      lastModifiedDate: created.json.createdDate,
    });
    expect(Object.keys(created.json)).toEqual([
      'id',
      'beneficiaryId',
      'type',
      'verificationType',
      'verificationUrl',
      'status',
      'createdDate',
      'lastModifiedDate',
    ]);

    const again = await h.api<SessionBody>(verification(beneficiary.id), { method: 'POST', json: {} });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(created.json);
    expect((await h.api(verification(beneficiary.id))).json).toEqual(created.json);
  });

  it('uses the beneficiary type as the session type (KYB for businesses)', async () => {
    const business = await h.createBeneficiary(undefined, 'BUSINESS');
    const session = await h.createSession(business.id);
    expect(session.type).toBe('BUSINESS');
    const page = await request(session.verificationUrl ?? '');
    expect(page.text).toContain('KYB (BUSINESS)');
    expect(page.text).toContain('Acme Trading LLC');
  });

  it('serves a real HTML page with Approve and Reject buttons posting to the same URL', async () => {
    const beneficiary = await h.createBeneficiary();
    const session = await h.createSession(beneficiary.id);
    const page = await request(session.verificationUrl ?? '');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const path = new URL(session.verificationUrl ?? '').pathname;
    expect(page.text).toContain(`<form method="post" action="${path}">`);
    expect(page.text).toContain('<button type="submit" name="decision" value="approve">Approve</button>');
    expect(page.text).toContain('<button type="submit" name="decision" value="reject">Reject</button>');
    expect(page.text).toContain('Jane Doe');
  });

  it('approve: PENDING → PROCESSING (url null) → SUCCEEDED; the beneficiary becomes APPROVED', async () => {
    const beneficiary = await h.createBeneficiary();
    const session = await h.createSession(beneficiary.id);
    const url = session.verificationUrl ?? '';

    const html = await decide(url, 'approve', 'text/html');
    expect(html.status).toBe(200);
    expect(html.text).toContain('being processed');

    const processing = await h.api<SessionBody>(verification(beneficiary.id));
    expect(processing.json).toMatchObject({ id: session.id, status: 'PROCESSING', verificationUrl: null });
    expect((await h.api<BeneficiaryBody>(`/v1/beneficiaries/${beneficiary.id}`)).json.status).toBe('PENDING');
    // While PROCESSING the same session comes back.
    const during = await h.api<SessionBody>(verification(beneficiary.id), { method: 'POST' });
    expect(during.status).toBe(200);
    expect(during.json.id).toBe(session.id);

    const done = await sessionReaches(h, beneficiary.id, 'SUCCEEDED');
    expect(done).toMatchObject({ id: session.id, verificationUrl: null });
    expect(Date.parse(done.lastModifiedDate)).toBeGreaterThan(Date.parse(done.createdDate));
    const approved = await h.api<BeneficiaryBody>(`/v1/beneficiaries/${beneficiary.id}`);
    expect(approved.json).toMatchObject({ status: 'APPROVED', kycVerified: true });

    const afterSuccess = await h.api<SessionBody>(verification(beneficiary.id), { method: 'POST' });
    expect(afterSuccess.status).toBe(200);
    expect(afterSuccess.json).toEqual(done);
  });

  it('answers a decision on a session that is no longer PENDING with 409, as JSON or HTML', async () => {
    const beneficiary = await h.createBeneficiary();
    const session = await h.createSession(beneficiary.id);
    const url = session.verificationUrl ?? '';
    expect((await decide(url, 'approve')).status).toBe(200);

    const json = await decide(url, 'reject');
    expect(json.status).toBe(409);
    expect(json.json).toMatchObject({
      code: 'verification.not_pending',
      message: expect.stringContaining('PROCESSING'),
      traceId: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const html = await decide(url, 'reject', 'text/html');
    expect(html.status).toBe(409);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.text).toContain('Already decided');

    await sessionReaches(h, beneficiary.id, 'SUCCEEDED');
    const page = await request(url);
    expect(page.text).not.toContain('<form');
  });

  it('reject: the session FAILS, the beneficiary FAILS, and a new POST opens a new session', async () => {
    const beneficiary = await h.createBeneficiary();
    const first = await h.createSession(beneficiary.id);
    expect((await decide(first.verificationUrl ?? '', 'reject')).status).toBe(200);
    await sessionReaches(h, beneficiary.id, 'FAILED');
    expect((await h.api<BeneficiaryBody>(`/v1/beneficiaries/${beneficiary.id}`)).json).toMatchObject({
      status: 'FAILED',
      kycVerified: false,
      rejectionReason: DEFAULT_FAILURE_REASON,
    });

    const retry = await h.api<SessionBody>(verification(beneficiary.id), { method: 'POST' });
    expect(retry.status).toBe(201);
    expect(retry.json.id).not.toBe(first.id);
    expect(retry.json.status).toBe('PENDING');
    const reopened = (await h.api<BeneficiaryBody>(`/v1/beneficiaries/${beneficiary.id}`)).json;
    expect(reopened.status).toBe('PENDING');
    expect(reopened).not.toHaveProperty('rejectionReason');
    const stats = await h.admin<{ sessionsCreatedByBeneficiary: Record<string, number> }>('/stats');
    expect(stats.json.sessionsCreatedByBeneficiary[beneficiary.id]).toBe(2);
  });

  it("a rejection's reason becomes the beneficiary's rejectionReason; it is absent before any outcome", async () => {
    const beneficiary = await h.createBeneficiary();
    expect(beneficiary).not.toHaveProperty('rejectionReason');
    const session = await h.createSession(beneficiary.id);
    const answer = await decide(
      session.verificationUrl ?? '',
      'reject',
      'application/json',
      'Selfie mismatch',
    );
    expect(answer.status).toBe(200);
    await sessionReaches(h, beneficiary.id, 'FAILED');
    const read = await h.api<BeneficiaryBody>(`/v1/beneficiaries/${beneficiary.id}`);
    expect(read.json).toMatchObject({ status: 'FAILED', rejectionReason: 'Selfie mismatch' });
  });

  it('answers a bad decision with 400 and an unknown session page with 404', async () => {
    const beneficiary = await h.createBeneficiary();
    const session = await h.createSession(beneficiary.id);
    const bad = await decide(session.verificationUrl ?? '', 'maybe');
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ errors: ['decision must be "approve" or "reject"'] });
    expect((await h.api<SessionBody>(verification(beneficiary.id))).json.status).toBe('PENDING');

    const missing = await request(`${h.sandbox.url}/hosted/verification/0123456789abcdef01234567`);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('not valid');
  });

  it('accepts a JSON decision on the hosted URL too', async () => {
    const beneficiary = await h.createBeneficiary();
    const session = await h.createSession(beneficiary.id);
    const answer = await request<SessionBody>(session.verificationUrl ?? '', {
      json: { decision: 'approve' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ id: session.id, status: 'PROCESSING', verificationUrl: null });
  });
});
