import { type ApiStack, call, startApiStack } from './support';

describe('HTTP API on the dev server, with the Caliza double', () => {
  let stack: ApiStack;
  let key: string;
  const api = (method: string, path: string, options: Parameters<typeof call>[3] = {}) =>
    call(stack.url, method, path, { key, ...options });

  beforeAll(async () => {
    stack = await startApiStack();
    key = stack.keys[0];
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses a request without a known key, in the one error shape, and accepts every configured key', async () => {
    const missing = await call(stack.url, 'GET', '/v1/verifications/someone', { key: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.body).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String), details: [] });
    const unknown = await call(stack.url, 'GET', '/v1/verifications/someone', { key: `${key}x` });
    expect(unknown.status).toBe(401);
    for (const accepted of stack.keys) {
      const answer = await call(stack.url, 'GET', '/v1/verifications/someone', { key: accepted });
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('NOT_FOUND');
    }
    const document = await call(stack.url, 'GET', '/openapi.json', { key: null });
    expect(document.status).toBe(200);
    expect(document.body.openapi).toBe('3.1.0');
  });

  it('starts a verification with its URL in one call, joins it on a retry, and answers its result', async () => {
    const beneficiaryId = await stack.newBeneficiary('api-approve');
    const started = await api('POST', '/v1/verifications', { body: { beneficiaryId } });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({
      beneficiaryId,
      workflowId: `kyc-beneficiary-${beneficiaryId}`,
      status: 'PENDING',
      verificationUrl: expect.stringContaining(stack.sandbox.url),
      result: null,
    });
    const retried = await api('POST', '/v1/verifications', { body: { beneficiaryId } });
    expect(retried.body).toEqual(started.body);

    const state = await api('GET', `/v1/verifications/${beneficiaryId}`);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ beneficiaryId, status: 'PENDING', outcome: null });
    const notYet = await api('GET', `/v1/verifications/${beneficiaryId}/result?waitSeconds=0`);
    expect(notYet.body).toMatchObject({
      done: false,
      closedAs: null,
      result: null,
      state: { status: 'PENDING' },
    });

    await stack.decide(beneficiaryId, 'approve');
    const waited = await api('GET', `/v1/verifications/${beneficiaryId}/result?waitSeconds=30`);
    expect(waited.status).toBe(200);
    expect(waited.body).toMatchObject({
      done: true,
      closedAs: 'COMPLETED',
      result: { beneficiaryId, outcome: 'APPROVED' },
      state: null,
    });
    // An approved verification is never started again: the answer is its result.
    const again = await api('POST', '/v1/verifications', { body: { beneficiaryId, reverify: true } });
    expect(again.body).toMatchObject({ status: 'SUCCEEDED', result: { outcome: 'APPROVED' } });
  });

  it('waits no longer than waitSeconds and then answers the current state', async () => {
    const beneficiaryId = await stack.newBeneficiary('api-wait');
    await api('POST', '/v1/verifications', { body: { beneficiaryId } });
    const before = Date.now();
    const waited = await api('GET', `/v1/verifications/${beneficiaryId}/result?waitSeconds=1`);
    const took = Date.now() - before;
    expect(waited.body).toMatchObject({ done: false, state: { status: 'PENDING' } });
    expect(took).toBeGreaterThanOrEqual(1_000);
    expect(took).toBeLessThan(5_000);
    await api('POST', `/v1/verifications/${beneficiaryId}/cancel`);
  });

  it('starts again after a FAILED verification only with reverify', async () => {
    const beneficiaryId = await stack.newBeneficiary('api-reverify');
    await api('POST', '/v1/verifications', { body: { beneficiaryId } });
    await stack.decide(beneficiaryId, 'reject');
    const failed = await api('GET', `/v1/verifications/${beneficiaryId}/result?waitSeconds=30`);
    expect(failed.body).toMatchObject({ done: true, result: { outcome: 'FAILED' } });

    const plain = await api('POST', '/v1/verifications', { body: { beneficiaryId } });
    expect(plain.body).toMatchObject({
      status: 'FAILED',
      verificationUrl: null,
      result: { outcome: 'FAILED' },
    });
    const reverified = await api('POST', '/v1/verifications', { body: { beneficiaryId, reverify: true } });
    expect(reverified.body).toMatchObject({ status: 'PENDING', result: null });
    expect(reverified.body.runId).not.toBe(plain.body.runId);
    await api('POST', `/v1/verifications/${beneficiaryId}/cancel`);
  });

  it('extends the deadline idempotently, refuses an earlier one, and cancels idempotently', async () => {
    const beneficiaryId = await stack.newBeneficiary('api-deadline');
    await api('POST', '/v1/verifications', { body: { beneficiaryId } });
    const { body: state } = await api('GET', `/v1/verifications/${beneficiaryId}`);
    const later = new Date(Date.parse(String(state.deadlineAt)) + 86_400_000).toISOString();

    const moved = await api('PUT', `/v1/verifications/${beneficiaryId}/deadline`, {
      body: { deadlineAt: later },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ beneficiaryId, deadlineAt: later });
    const retried = await api('PUT', `/v1/verifications/${beneficiaryId}/deadline`, {
      body: { deadlineAt: later },
    });
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual(moved.body);
    const earlier = await api('PUT', `/v1/verifications/${beneficiaryId}/deadline`, {
      body: { deadlineAt: String(state.deadlineAt) },
    });
    expect(earlier.status).toBe(409);
    expect(earlier.body).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('later') });

    const cancelled = await api('POST', `/v1/verifications/${beneficiaryId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ cancelRequested: true, closedAs: null });
    const ended = await api('GET', `/v1/verifications/${beneficiaryId}/result?waitSeconds=30`);
    expect(ended.body).toMatchObject({ done: true, closedAs: 'CANCELLED', result: null });
    const again = await api('POST', `/v1/verifications/${beneficiaryId}/cancel`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ cancelRequested: false, closedAs: 'CANCELLED' });
    const afterEnd = await api('PUT', `/v1/verifications/${beneficiaryId}/deadline`, {
      body: { deadlineAt: later },
    });
    expect(afterEnd.status).toBe(409);
    // A cancelled verification is started afresh.
    const restarted = await api('POST', '/v1/verifications', { body: { beneficiaryId } });
    expect(restarted.body).toMatchObject({ status: 'PENDING' });
    await api('POST', `/v1/verifications/${beneficiaryId}/cancel`);
  });

  it('answers 404 when Caliza knows no such beneficiary, naming its refusal', async () => {
    const answer = await api('POST', '/v1/verifications', { body: { beneficiaryId: 'not-known-to-caliza' } });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('Caliza') });
    expect(JSON.stringify(answer.body.details)).toContain('beneficiary.not_found');
    // The run that found out is over; its state is still there to read, and its end to wait for.
    const state = await api('GET', '/v1/verifications/not-known-to-caliza');
    expect(state.status).toBe(200);
    const ended = await api('GET', '/v1/verifications/not-known-to-caliza/result?waitSeconds=0');
    expect(ended.body).toMatchObject({ done: true, closedAs: 'FAILED', result: null });
  });

  it('answers every bad request with a 4xx in the one shape, naming the fields', async () => {
    const missing = await api('POST', '/v1/verifications', { body: { reverify: 'yes', extra: 1 } });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('INVALID_REQUEST');
    const paths = (missing.body.details as { path: string }[]).map((detail) => detail.path);
    expect(paths).toEqual(expect.arrayContaining(['body.beneficiaryId', 'body.reverify', 'body']));

    const cases: [number, string, string, string, Parameters<typeof call>[3]][] = [
      [400, 'INVALID_REQUEST', 'POST', '/v1/verifications', { body: '{"beneficiaryId":' }],
      [400, 'INVALID_REQUEST', 'POST', '/v1/verifications', { body: { beneficiaryId: '..' } }],
      [
        400,
        'INVALID_REQUEST',
        'POST',
        '/v1/verifications',
        { body: { beneficiaryId: 'a', timeoutSeconds: 61 } },
      ],
      [
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'POST',
        '/v1/verifications',
        { body: 'beneficiaryId=a', contentType: 'text/plain' },
      ],
      [
        413,
        'PAYLOAD_TOO_LARGE',
        'POST',
        '/v1/verifications',
        { body: { beneficiaryId: 'a'.repeat(20_000) } },
      ],
      [400, 'INVALID_REQUEST', 'GET', '/v1/verifications/a/result?waitSeconds=31', {}],
      [400, 'INVALID_REQUEST', 'GET', '/v1/verifications/a/result?waitSeconds=', {}],
      [400, 'INVALID_REQUEST', 'GET', '/v1/verifications/a/result?waitSeconds=1e1', {}],
      [400, 'INVALID_REQUEST', 'GET', '/v1/verifications/a?x=1', {}],
      [400, 'INVALID_REQUEST', 'PUT', '/v1/verifications/a/deadline', { body: { deadlineAt: '2030-01-01' } }],
      [400, 'INVALID_REQUEST', 'POST', '/v1/verifications/a/cancel', { body: { now: true } }],
      [404, 'NOT_FOUND', 'GET', '/v1/verification', {}],
      [405, 'METHOD_NOT_ALLOWED', 'DELETE', '/v1/verifications/a', {}],
      [405, 'METHOD_NOT_ALLOWED', 'QUERY', '/v1/verifications/a', {}],
      [400, 'INVALID_REQUEST', 'POST', '/v1/verifications', { body: { beneficiaryId: '.' } }],
      [404, 'NOT_FOUND', 'GET', `/v1/verifications/${'0'.repeat(63)}z`, {}],
      [400, 'INVALID_REQUEST', 'GET', `/v1/verifications/${'0'.repeat(65)}`, {}],
      [400, 'INVALID_REQUEST', 'GET', `/v1/verifications/${'0'.repeat(300)}`, {}],
    ];
    for (const [status, code, method, path, options] of cases) {
      const answer = await api(method, path, options);
      expect({ method, path, status: answer.status, code: answer.body.code }).toEqual({
        method,
        path,
        status,
        code,
      });
      expect(typeof answer.body.message).toBe('string');
      expect(Array.isArray(answer.body.details)).toBe(true);
    }
    expect((await api('DELETE', '/v1/verifications/a')).headers.get('allow')).toBe('GET');
  });
});
