import { ApplicationFailure } from '@temporalio/common';
import {
  CALIZA_FAILURE_TYPES,
  httpFailureType,
  toApplicationFailure,
} from '../../src/activities/caliza-failures';
import {
  CalizaApiError,
  CalizaInvalidIdError,
  CalizaNetworkError,
  CalizaUnexpectedResponseError,
} from '../../src/caliza/errors';
import { LOCAL_RETRY_AFTER_LIMIT_MS } from '../../src/activities/caliza-failures';
import { MAX_RETRY_AFTER_MS } from '../../src/caliza/retry-after';

function apiError(
  status: number,
  extra: Partial<ConstructorParameters<typeof CalizaApiError>[0]> = {},
): CalizaApiError {
  return new CalizaApiError({ endpoint: 'api', method: 'GET', path: '/v1/x', status, ...extra });
}

function tokenError(
  status: number,
  extra: Partial<ConstructorParameters<typeof CalizaApiError>[0]> = {},
): CalizaApiError {
  const path = '/auth/realms/caliza/protocol/openid-connect/token';
  return new CalizaApiError({ endpoint: 'token', method: 'POST', path, status, ...extra });
}

describe('toApplicationFailure', () => {
  it.each([400, 401, 403, 404, 409, 412, 422])('makes %i non-retryable', (status) => {
    const failure = toApplicationFailure(apiError(status));
    expect(failure).toMatchObject({ nonRetryable: true, type: httpFailureType(status) });
  });

  it.each([302, 405, 410, 415])('makes the unexpected status %i non-retryable too', (status) => {
    expect(toApplicationFailure(apiError(status))).toMatchObject({
      nonRetryable: true,
      type: `CalizaHttp${status}`,
    });
  });

  it.each([
    [408, CALIZA_FAILURE_TYPES.unavailable],
    [429, CALIZA_FAILURE_TYPES.rateLimited],
    [500, CALIZA_FAILURE_TYPES.unavailable],
    [502, CALIZA_FAILURE_TYPES.unavailable],
    [503, CALIZA_FAILURE_TYPES.unavailable],
    [504, CALIZA_FAILURE_TYPES.unavailable],
  ])('makes %i retryable as %s', (status, type) => {
    const failure = toApplicationFailure(apiError(status, { code: 'server.busy', traceId: 't1' }));
    expect(failure).toMatchObject({ nonRetryable: false, type });
    expect(failure.details).toEqual([
      { status, code: 'server.busy', traceId: 't1', kind: 'TRANSIENT', retryAfterMs: null },
    ]);
  });

  it('uses Caliza code as the type of a non-retryable failure', () => {
    const failure = toApplicationFailure(apiError(412, { code: 'callback_url.not_set' }));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'callback_url.not_set' });
  });

  it('treats refused credentials at the token endpoint as non-retryable', () => {
    const error = tokenError(401, { code: 'invalid_grant' });
    expect(toApplicationFailure(error)).toMatchObject({ nonRetryable: true, type: 'invalid_grant' });
  });

  it('sets nextRetryDelay only for 429 and 503', () => {
    expect(toApplicationFailure(apiError(429, { retryAfterMs: 1500 })).nextRetryDelay).toBe(1500);
    expect(toApplicationFailure(apiError(503, { retryAfterMs: 2000 })).nextRetryDelay).toBe(2000);
    expect(toApplicationFailure(apiError(502, { retryAfterMs: 1500 })).nextRetryDelay).toBeUndefined();
    expect(toApplicationFailure(apiError(404, { retryAfterMs: 1500 })).nextRetryDelay).toBeUndefined();
  });

  it.each([429, 503])('never retries a %i sooner than 1 s, whatever Retry-After said', (status) => {
    for (const retryAfterMs of [0, -2000, 400]) {
      const failure = toApplicationFailure(apiError(status, { retryAfterMs }));
      expect(failure).toMatchObject({ nonRetryable: false, nextRetryDelay: 1000 });
      expect(failure.details?.[0]).toMatchObject({ kind: 'TRANSIENT', retryAfterMs: 1000 });
    }
  });

  it.each([
    [429, CALIZA_FAILURE_TYPES.rateLimited],
    [503, CALIZA_FAILURE_TYPES.unavailable],
  ])(
    'retries a %i locally up to LOCAL_RETRY_AFTER_LIMIT_MS, then leaves the wait to the workflow',
    (status, type) => {
      const atLimit = toApplicationFailure(apiError(status, { retryAfterMs: LOCAL_RETRY_AFTER_LIMIT_MS }));
      expect(atLimit).toMatchObject({
        nonRetryable: false,
        type,
        nextRetryDelay: LOCAL_RETRY_AFTER_LIMIT_MS,
      });

      const longer = toApplicationFailure(apiError(status, { retryAfterMs: LOCAL_RETRY_AFTER_LIMIT_MS + 1 }));
      expect(longer).toMatchObject({ nonRetryable: true, type });
      expect(longer.nextRetryDelay).toBeUndefined();
      expect(longer.details).toEqual([
        {
          status,
          code: null,
          traceId: null,
          kind: 'TRANSIENT',
          retryAfterMs: LOCAL_RETRY_AFTER_LIMIT_MS + 1,
        },
      ]);

      const huge = toApplicationFailure(apiError(status, { retryAfterMs: 7 * 24 * 3_600_000 }));
      expect(huge).toMatchObject({ nonRetryable: true, type });
      expect(huge.details?.[0]).toMatchObject({ retryAfterMs: MAX_RETRY_AFTER_MS });
    },
  );

  it.each(['timeout', 'connection_refused', 'connection_reset', 'dns', 'other'] as const)(
    'makes a %s network failure retryable',
    (reason) => {
      const error = new CalizaNetworkError({ endpoint: 'api', method: 'POST', path: '/v1/x', reason });
      const failure = toApplicationFailure(error);
      expect(failure).toMatchObject({ nonRetryable: false, type: CALIZA_FAILURE_TYPES.unavailable });
      expect(failure.details).toEqual([
        {
          status: null,
          code: null,
          traceId: null,
          networkReason: reason,
          kind: 'TRANSIENT',
          retryAfterMs: null,
        },
      ]);
    },
  );

  it('makes an unexpected body non-retryable', () => {
    const error = new CalizaUnexpectedResponseError({
      endpoint: 'api',
      method: 'GET',
      path: '/v1/x',
      status: 200,
      problems: ['status: invalid_value'],
    });
    expect(toApplicationFailure(error)).toMatchObject({
      nonRetryable: true,
      type: CALIZA_FAILURE_TYPES.unexpectedResponse,
    });
  });

  it.each([
    [400, 'REFUSED'],
    [401, 'AUTH'],
    [403, 'AUTH'],
    [404, 'REFUSED'],
    [409, 'REFUSED'],
    [412, 'REFUSED'],
    [422, 'REFUSED'],
    [302, 'REFUSED'],
    [405, 'REFUSED'],
  ])('puts kind and retryAfterMs into the details of a non-retryable %i (%s)', (status, kind) => {
    const failure = toApplicationFailure(apiError(status, { code: 'some.code', traceId: 't2' }));
    expect(failure.details).toEqual([{ status, code: 'some.code', traceId: 't2', kind, retryAfterMs: null }]);
  });

  it.each([
    [400, 'invalid_grant'],
    [401, 'invalid_client'],
    [400, 'unauthorized_client'],
    [404, undefined],
  ])('classifies the token endpoint refusing with %i %s as AUTH', (status, code) => {
    const error = tokenError(status, code === undefined ? {} : { code });
    const failure = toApplicationFailure(error);
    expect(failure).toMatchObject({ nonRetryable: true, type: code ?? `CalizaHttp${status}` });
    expect(failure.details).toEqual([
      { status, code: code ?? null, traceId: null, kind: 'AUTH', retryAfterMs: null },
    ]);
  });

  it('keeps a busy token endpoint TRANSIENT and retryable', () => {
    expect(toApplicationFailure(tokenError(503))).toMatchObject({
      nonRetryable: false,
      type: CALIZA_FAILURE_TYPES.unavailable,
      details: [{ status: 503, code: null, traceId: null, kind: 'TRANSIENT', retryAfterMs: null }],
    });
  });

  it('reports Retry-After in the details only where it is honoured (429 and 503)', () => {
    expect(toApplicationFailure(apiError(429, { retryAfterMs: 1500 })).details).toEqual([
      { status: 429, code: null, traceId: null, kind: 'TRANSIENT', retryAfterMs: 1500 },
    ]);
    expect(toApplicationFailure(apiError(503, { retryAfterMs: 2000 })).details?.[0]).toMatchObject({
      retryAfterMs: 2000,
    });
    expect(toApplicationFailure(apiError(502, { retryAfterMs: 1500 })).details?.[0]).toMatchObject({
      retryAfterMs: null,
    });
    expect(toApplicationFailure(apiError(404, { retryAfterMs: 1500 })).details?.[0]).toMatchObject({
      retryAfterMs: null,
    });
  });

  it.each(['api', 'token'] as const)('classifies an unexpected %s body as TRANSIENT', (endpoint) => {
    const error = new CalizaUnexpectedResponseError({
      endpoint,
      method: 'GET',
      path: '/v1/x',
      status: 200,
      problems: ['(body): invalid_type'],
    });
    expect(toApplicationFailure(error).details).toEqual([
      { status: 200, code: null, traceId: null, kind: 'TRANSIENT', retryAfterMs: null },
    ]);
  });

  it('makes an id the client refused to send non-retryable InvalidBeneficiaryId, kind REFUSED', () => {
    const failure = toApplicationFailure(
      new CalizaInvalidIdError('beneficiaryId', 'must not be "." or ".."'),
    );
    expect(failure).toMatchObject({
      nonRetryable: true,
      type: CALIZA_FAILURE_TYPES.invalidArgument,
      message: 'beneficiaryId must not be "." or ".."',
    });
    expect(failure.details).toEqual([
      { status: null, code: null, traceId: null, kind: 'REFUSED', retryAfterMs: null },
    ]);
  });

  it('passes an ApplicationFailure through and leaves other errors retryable', () => {
    const existing = ApplicationFailure.nonRetryable('nope', 'Custom');
    expect(toApplicationFailure(existing)).toBe(existing);
    const bug = toApplicationFailure(new RangeError('bug'));
    expect(bug).toMatchObject({ nonRetryable: false, type: 'RangeError', message: 'bug' });
    // No kind: the workflow counts a failure without one as TRANSIENT.
    expect(bug.details ?? []).toEqual([]);
  });
});
