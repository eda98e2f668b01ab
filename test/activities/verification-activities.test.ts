import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { VerificationSession } from '../../src/contracts';
import { createActivities, type VerificationActivities } from '../../src/activities/verification-activities';
import { CalizaClient } from '../../src/caliza/client';
import { loadCalizaConfig } from '../../src/caliza/config';
import { FakeCalizaServer, sessionBody } from '../support/fake-caliza-server';
import { MemoryLogger } from './memory-logger';

const BENEFICIARY = '6925dd986a93002882da640b';
const VERIFICATION = `/v1/beneficiaries/${BENEFICIARY}/verification`;

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => {
      throw new Error('expected the activity to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('verification activities', () => {
  let server: FakeCalizaServer;
  let activities: VerificationActivities;
  let logger: MemoryLogger;
  let env: MockActivityEnvironment;

  beforeEach(async () => {
    server = await FakeCalizaServer.start();
    const client = new CalizaClient(loadCalizaConfig(server.env({ CALIZA_TIMEOUT_MS: '1000' })));
    activities = createActivities({ caliza: client });
    logger = new MemoryLogger();
    env = new MockActivityEnvironment({ activityType: 'readVerificationSession' }, { logger });
  });

  afterEach(async () => {
    await server.close();
  });

  // Annotated so the mock environment's result type is inferred.
  const createSession = (id: string): Promise<VerificationSession> =>
    env.run(activities.createVerificationSession, id);
  const readSession = (id: string): Promise<VerificationSession> =>
    env.run(activities.readVerificationSession, id);

  /** What the worker does with the failure's classification: retry until success or non-retryable. */
  async function runWithRetries<T>(
    run: () => Promise<T>,
    maxAttempts: number,
  ): Promise<{ value: T; attempts: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { value: await run(), attempts: attempt };
      } catch (error) {
        if (!(error instanceof ApplicationFailure) || error.nonRetryable === true || attempt >= maxAttempts) {
          throw error;
        }
      }
    }
  }

  it('creates and reads a session, logging the beneficiary but not the verification URL', async () => {
    server.enqueue('POST', VERIFICATION, { status: 201, body: sessionBody(BENEFICIARY) });
    server.enqueue('GET', VERIFICATION, { body: sessionBody(BENEFICIARY, { status: 'PROCESSING' }) });

    const created = await createSession(BENEFICIARY);
    const read = await readSession(BENEFICIARY);

    expect(created).toMatchObject({ beneficiaryId: BENEFICIARY, status: 'PENDING' });
    expect(Object.keys(created).sort()).toEqual([
      'beneficiaryId',
      'createdDate',
      'id',
      'lastModifiedDate',
      'status',
      'type',
      'verificationUrl',
    ]);
    expect(read.status).toBe('PROCESSING');
    const infos = logger.entries().filter((e) => e.level === 'INFO');
    expect(infos.map((e) => e.meta?.beneficiaryId)).toEqual([BENEFICIARY, BENEFICIARY]);
    expect(logger.lines.join('\n')).not.toContain('verification.example.test');
  });

  it("reads a FAILED beneficiary's status and rejectionReason, logging neither the reason nor the person", async () => {
    const body = {
      id: BENEFICIARY,
      integratorId: '6920925fdbadfe09b1bf9e5e',
      integratorBeneficiaryId: 'user-1',
      type: 'INDIVIDUAL',
      active: true,
      kycVerified: false,
      status: 'FAILED',
      rejectionReason: 'Selfie does not match the document',
      createdDate: '2026-01-01T00:00:00.000000000Z',
      person: { firstName: 'Ana', lastName: 'Lima' },
    };
    server.enqueue('GET', `/v1/beneficiaries/${BENEFICIARY}`, { body });
    server.enqueue('GET', `/v1/beneficiaries/${BENEFICIARY}`, {
      body: { ...body, rejectionReason: undefined },
    });

    expect(await env.run(activities.readBeneficiaryStatus, BENEFICIARY)).toEqual({
      status: 'FAILED',
      reason: 'Selfie does not match the document',
    });
    expect(await env.run(activities.readBeneficiaryStatus, BENEFICIARY)).toEqual({
      status: 'FAILED',
      reason: null,
    });
    const text = logger.lines.join('\n');
    expect(text).toContain('read beneficiary succeeded');
    expect(text).not.toContain('Selfie');
    expect(text).not.toContain('Lima');
  });

  it('refuses an empty beneficiary id without calling Caliza', async () => {
    const failure = await failureOf(readSession(''));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'InvalidBeneficiaryId' });
    expect(server.requests).toHaveLength(0);
  });

  it.each(['.', '..', '   ', 'ab\uDC00'])(
    'refuses the beneficiary id %p as non-retryable REFUSED, without calling Caliza',
    async (id) => {
      for (const failure of [await failureOf(readSession(id)), await failureOf(createSession(id))]) {
        expect(failure).toMatchObject({ nonRetryable: true, type: 'InvalidBeneficiaryId' });
        expect(failure.message).toMatch(/^beneficiaryId must /);
        expect(failure.details).toEqual([
          { status: null, code: null, traceId: null, kind: 'REFUSED', retryAfterMs: null },
        ]);
      }
      expect(server.requests).toHaveLength(0);
    },
  );

  it('fails a 404 as non-retryable, keeping Caliza code and traceId', async () => {
    server.enqueue('GET', VERIFICATION, {
      status: 404,
      body: { code: 'beneficiary.not_found', message: 'Beneficiary not found', traceId: 'trace-404' },
    });

    const failure = await failureOf(readSession(BENEFICIARY));

    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('beneficiary.not_found');
    expect(failure.details).toEqual([
      {
        status: 404,
        code: 'beneficiary.not_found',
        traceId: 'trace-404',
        kind: 'REFUSED',
        retryAfterMs: null,
      },
    ]);
    expect(failure.message).toBe(
      `Caliza GET ${VERIFICATION} returned 404 beneficiary.not_found: Beneficiary not found (traceId trace-404)`,
    );
    const warning = logger.entries().find((e) => e.message === 'Caliza read verification session failed');
    expect(warning?.meta).toMatchObject({
      beneficiaryId: BENEFICIARY,
      failureType: 'beneficiary.not_found',
      retryable: false,
      kind: 'REFUSED',
      status: 404,
      traceId: 'trace-404',
    });
  });

  it.each([400, 403, 404, 409, 412, 422])(
    'fails a bare %i as non-retryable CalizaHttp<status>',
    async (status) => {
      server.enqueue('POST', VERIFICATION, { status });

      const failure = await failureOf(createSession(BENEFICIARY));

      expect(failure).toMatchObject({ nonRetryable: true, type: `CalizaHttp${status}` });
      const kind = status === 403 ? 'AUTH' : 'REFUSED';
      expect(failure.details).toEqual([{ status, code: null, traceId: null, kind, retryAfterMs: null }]);
    },
  );

  it('fails a 401 that survives the token refresh as non-retryable', async () => {
    server.setDefault('GET', VERIFICATION, { status: 401 });

    const failure = await failureOf(readSession(BENEFICIARY));

    expect(failure).toMatchObject({ nonRetryable: true, type: 'CalizaHttp401' });
    expect(failure.details?.[0]).toMatchObject({ status: 401, kind: 'AUTH' });
    expect(server.tokenCalls).toBe(2);
  });

  it('classifies refused credentials at the token endpoint as AUTH', async () => {
    server.enqueueToken({
      status: 401,
      body: { error: 'invalid_grant', error_description: 'Invalid user credentials' },
    });

    const failure = await failureOf(createSession(BENEFICIARY));

    expect(failure).toMatchObject({ nonRetryable: true, type: 'invalid_grant' });
    expect(failure.details).toEqual([
      { status: 401, code: 'invalid_grant', traceId: null, kind: 'AUTH', retryAfterMs: null },
    ]);
    expect(server.requestsTo('POST', VERIFICATION)).toHaveLength(0);
  });

  it("classifies a gateway's HTML page with a 200 as a TRANSIENT unexpected response", async () => {
    server.enqueue('GET', VERIFICATION, {
      rawBody: '<html><body>Deploying</body></html>',
      headers: { 'Content-Type': 'text/html' },
    });

    const failure = await failureOf(readSession(BENEFICIARY));

    expect(failure.type).toBe('CalizaUnexpectedResponse');
    expect(failure.details).toEqual([
      { status: 200, code: null, traceId: null, kind: 'TRANSIENT', retryAfterMs: null },
    ]);
  });

  it('classifies a 503 as retryable, and the retried call succeeds', async () => {
    server.enqueue(
      'GET',
      VERIFICATION,
      { status: 503, body: { message: 'maintenance' } },
      { body: sessionBody(BENEFICIARY, { status: 'SUCCEEDED', verificationUrl: null }) },
    );

    const first = await failureOf(readSession(BENEFICIARY));
    expect(first).toMatchObject({ nonRetryable: false, type: 'CalizaUnavailable' });
    expect(first.nextRetryDelay).toBeUndefined();

    const retried = await readSession(BENEFICIARY);
    expect(retried.status).toBe('SUCCEEDED');
    expect(server.requestsTo('GET', VERIFICATION)).toHaveLength(2);
  });

  it('gets through 500 and 502 to success under a retry loop that obeys the classification', async () => {
    server.enqueue(
      'POST',
      VERIFICATION,
      { status: 500 },
      { status: 502 },
      { status: 201, body: sessionBody(BENEFICIARY) },
    );

    const { value, attempts } = await runWithRetries(() => createSession(BENEFICIARY), 5);

    expect(attempts).toBe(3);
    expect(value.status).toBe('PENDING');
  });

  it('stops the same retry loop at the first non-retryable failure', async () => {
    server.enqueue(
      'GET',
      VERIFICATION,
      { status: 503 },
      { status: 412, body: { code: 'callback_url.not_set' } },
    );

    await expect(runWithRetries(() => readSession(BENEFICIARY), 5)).rejects.toMatchObject({
      nonRetryable: true,
      type: 'callback_url.not_set',
    });
    expect(server.requestsTo('GET', VERIFICATION)).toHaveLength(2);
  });

  it('sets nextRetryDelay from Retry-After on a 429', async () => {
    server.enqueue('GET', VERIFICATION, { status: 429, headers: { 'Retry-After': '7' } });

    const failure = await failureOf(readSession(BENEFICIARY));

    expect(failure).toMatchObject({ nonRetryable: false, type: 'CalizaRateLimited', nextRetryDelay: 7000 });
    expect(failure.details).toEqual([
      { status: 429, code: null, traceId: null, kind: 'TRANSIENT', retryAfterMs: 7000 },
    ]);
  });

  it('sets nextRetryDelay from Retry-After on a 503, but not on a 500', async () => {
    server.enqueue(
      'GET',
      VERIFICATION,
      { status: 503, headers: { 'Retry-After': '2' } },
      { status: 500, headers: { 'Retry-After': '2' } },
    );

    const unavailable = await failureOf(readSession(BENEFICIARY));
    const internal = await failureOf(readSession(BENEFICIARY));

    expect(unavailable.nextRetryDelay).toBe(2000);
    expect(internal.nextRetryDelay).toBeUndefined();
    expect(internal.nonRetryable).toBe(false);
  });

  it('waits at least 1 s after Retry-After: 0 or a date already past', async () => {
    server.enqueue(
      'GET',
      VERIFICATION,
      { status: 429, headers: { 'Retry-After': '0' } },
      { status: 503, headers: { 'Retry-After': new Date(Date.now() - 60_000).toUTCString() } },
    );

    const rateLimited = await failureOf(readSession(BENEFICIARY));
    const unavailable = await failureOf(readSession(BENEFICIARY));

    expect(rateLimited).toMatchObject({
      nonRetryable: false,
      type: 'CalizaRateLimited',
      nextRetryDelay: 1000,
    });
    expect(unavailable).toMatchObject({
      nonRetryable: false,
      type: 'CalizaUnavailable',
      nextRetryDelay: 1000,
    });
    expect(unavailable.details?.[0]).toMatchObject({ kind: 'TRANSIENT', retryAfterMs: 1000 });
  });

  it('ends the local retries at once when Retry-After is longer than the local limit', async () => {
    server.enqueue(
      'GET',
      VERIFICATION,
      { status: 429, headers: { 'Retry-After': '120' } },
      { body: sessionBody(BENEFICIARY) },
    );

    const error = await runWithRetries(() => readSession(BENEFICIARY), 5).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApplicationFailure);
    const failure = error as ApplicationFailure;
    expect(failure).toMatchObject({ nonRetryable: true, type: 'CalizaRateLimited' });
    expect(failure.nextRetryDelay).toBeUndefined();
    expect(failure.details).toEqual([
      { status: 429, code: null, traceId: null, kind: 'TRANSIENT', retryAfterMs: 120_000 },
    ]);
    expect(server.requestsTo('GET', VERIFICATION)).toHaveLength(1);
  });

  it('classifies a timeout as a retryable network failure', async () => {
    server.enqueue('GET', VERIFICATION, { delayMs: 5_000, body: sessionBody(BENEFICIARY) });

    const failure = await failureOf(readSession(BENEFICIARY));

    expect(failure).toMatchObject({ nonRetryable: false, type: 'CalizaUnavailable' });
    expect(failure.details).toEqual([
      {
        status: null,
        code: null,
        traceId: null,
        networkReason: 'timeout',
        kind: 'TRANSIENT',
        retryAfterMs: null,
      },
    ]);
    expect(failure.message).toContain('timed out after 1000 ms');
  });

  describe('cancellation', () => {
    /** Caliza's default 10 s timeout, so only the cancellation can end the call early. */
    const defaultTimeoutActivities = (): VerificationActivities =>
      createActivities({ caliza: new CalizaClient(loadCalizaConfig(server.env())) });

    async function cancelledAfter(
      ms: number,
      run: Promise<unknown>,
    ): Promise<{ error: unknown; elapsedMs: number }> {
      const started = Date.now();
      const timer = setTimeout(() => env.cancel(), ms);
      const error = await run.then(
        () => new Error('expected the activity to be cancelled'),
        (e: unknown) => e,
      );
      clearTimeout(timer);
      return { error, elapsedMs: Date.now() - started };
    }

    it('aborts the request in flight when the activity is cancelled', async () => {
      server.enqueue('POST', VERIFICATION, { delayMs: 30_000, body: sessionBody(BENEFICIARY) });
      const slow = defaultTimeoutActivities();

      const { error, elapsedMs } = await cancelledAfter(
        300,
        env.run(slow.createVerificationSession, BENEFICIARY),
      );

      expect(error).toBeInstanceOf(CancelledFailure);
      expect(error).not.toBeInstanceOf(ApplicationFailure);
      expect(elapsedMs).toBeLessThan(3_000);
      expect(server.requestsTo('POST', VERIFICATION)).toHaveLength(1);
      expect(logger.entries().map((e) => e.message)).toContain(
        'Caliza create verification session cancelled',
      );
      expect(logger.entries().map((e) => e.message)).not.toContain(
        'Caliza create verification session failed',
      );
    });

    it('stops waiting for a slow token when the activity is cancelled', async () => {
      server.tokenDelayMs = 30_000;
      const slow = defaultTimeoutActivities();

      const { error, elapsedMs } = await cancelledAfter(
        300,
        env.run(slow.readVerificationSession, BENEFICIARY),
      );

      expect(error).toBeInstanceOf(CancelledFailure);
      expect(elapsedMs).toBeLessThan(3_000);
      expect(server.requestsTo('GET', VERIFICATION)).toHaveLength(0);
    });

    it('sends nothing once the activity is already cancelled', async () => {
      env.cancel();

      const error = await readSession(BENEFICIARY).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(CancelledFailure);
      expect(server.requests).toHaveLength(0);
    });
  });

  it('fails an unexpected session body as non-retryable', async () => {
    server.enqueue('GET', VERIFICATION, { body: sessionBody(BENEFICIARY, { status: undefined }) });

    const failure = await failureOf(readSession(BENEFICIARY));

    expect(failure).toMatchObject({ nonRetryable: true, type: 'CalizaUnexpectedResponse' });
    expect(failure.message).toContain('status: invalid_type');
  });

  it('reads a session whose status Caliza has not documented as PROCESSING, not as a failure', async () => {
    server.enqueue('GET', VERIFICATION, { body: sessionBody(BENEFICIARY, { status: 'ARCHIVED' }) });

    const session = await readSession(BENEFICIARY);

    expect(session).toMatchObject({ beneficiaryId: BENEFICIARY, status: 'PROCESSING' });
  });
});
