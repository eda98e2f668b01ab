import pino from 'pino';
import { CalizaClient } from '../../src/caliza/client';
import { loadCalizaConfig } from '../../src/caliza/config';
import {
  CalizaApiError,
  CalizaInvalidIdError,
  CalizaNetworkError,
  CalizaUnexpectedResponseError,
} from '../../src/caliza/errors';
import { FakeCalizaServer, sessionBody, TOKEN_PATH } from '../support/fake-caliza-server';

const BENEFICIARY = '6925dd986a93002882da640b';
const INTEGRATOR = '6920925fdbadfe09b1bf9e5e';
const VERIFICATION = `/v1/beneficiaries/${BENEFICIARY}/verification`;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

/** A pino logger at every level that keeps what it writes, one parsed entry a line. */
function capturingLogger(): {
  logger: pino.Logger;
  lines: string[];
  entries: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const logger = pino(
    { level: 'trace', base: null, timestamp: false },
    { write: (l: string) => lines.push(l) },
  );
  return { logger, lines, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('CalizaClient', () => {
  let server: FakeCalizaServer;
  let client: CalizaClient;

  beforeEach(async () => {
    server = await FakeCalizaServer.start();
    client = new CalizaClient(loadCalizaConfig(server.env({ CALIZA_TIMEOUT_MS: '1000' })));
  });

  afterEach(async () => {
    await server.close();
  });

  function apiRequests(): typeof server.requests {
    return server.requests.filter((r) => r.path !== TOKEN_PATH);
  }

  describe('verification sessions', () => {
    it('creates a session with POST {} and returns exactly the contract fields', async () => {
      server.enqueue('POST', VERIFICATION, {
        status: 201,
        body: sessionBody(BENEFICIARY, { extra: { a: 1 } }),
      });

      const session = await client.createVerification(BENEFICIARY);

      expect(session).toStrictEqual({
        id: '6925dd986a93002882da640b',
        beneficiaryId: BENEFICIARY,
        type: 'INDIVIDUAL',
        verificationUrl: 'https://verification.example.test/session/abc',
        status: 'PENDING',
        createdDate: '2025-01-15T16:47:20.568Z',
        lastModifiedDate: '2025-01-15T16:47:20.568Z',
      });
      const [request] = apiRequests();
      expect(request).toMatchObject({ method: 'POST', path: VERIFICATION, body: '{}' });
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.headers.authorization).toBe(`Bearer ${server.issuedTokens[0]}`);
    });

    it('reads the session with GET and no body', async () => {
      server.enqueue('GET', VERIFICATION, {
        body: sessionBody(BENEFICIARY, { type: 'BUSINESS', status: 'SUCCEEDED', verificationUrl: null }),
      });

      const session = await client.getVerification(BENEFICIARY);

      expect(session).toMatchObject({ type: 'BUSINESS', status: 'SUCCEEDED', verificationUrl: null });
      expect(apiRequests()[0]).toMatchObject({ method: 'GET', body: '' });
      expect(apiRequests()[0]?.headers['content-type']).toBeUndefined();
    });

    it('tolerates a missing verificationUrl or lastModifiedDate', async () => {
      const body = sessionBody(BENEFICIARY, { status: 'PROCESSING', createdDate: '2025-02-01T00:00:00Z' });
      delete body.verificationUrl;
      delete body.lastModifiedDate;
      server.enqueue('GET', VERIFICATION, { body });

      await expect(client.getVerification(BENEFICIARY)).resolves.toMatchObject({
        verificationUrl: null,
        lastModifiedDate: '2025-02-01T00:00:00Z',
      });
    });

    it.each([
      ['a missing status', sessionBody(BENEFICIARY, { status: undefined }), 'status: invalid_type'],
      ['a status that is not text', sessionBody(BENEFICIARY, { status: 3 }), 'status: invalid_type'],
      ['a missing id', sessionBody(BENEFICIARY, { id: undefined }), 'id: invalid_type'],
      ['an HTML page', '<html>bad gateway</html>', '(body): invalid_type'],
    ])('rejects %s as an unexpected response', async (_label, body, problem) => {
      server.enqueue('GET', VERIFICATION, typeof body === 'string' ? { rawBody: body } : { body });

      const error = await failure(client.getVerification(BENEFICIARY));

      expect(error).toBeInstanceOf(CalizaUnexpectedResponseError);
      expect((error as CalizaUnexpectedResponseError).problems).toContain(problem);
      expect((error as Error).message).toContain(
        `Caliza GET ${VERIFICATION} returned 200 with an unexpected body`,
      );
    });

    it('reads an undocumented status as PROCESSING and warns with the raw value', async () => {
      const { logger, lines, entries } = capturingLogger();
      const logged = new CalizaClient(loadCalizaConfig(server.env()), { logger });
      const password = server.credentials.password;
      server.enqueue(
        'GET',
        VERIFICATION,
        { body: sessionBody(BENEFICIARY, { status: 'EXPIRED', verificationUrl: null }) },
        { body: sessionBody(BENEFICIARY, { status: `ODD ${password}` }) },
      );

      await expect(logged.getVerification(BENEFICIARY)).resolves.toMatchObject({ status: 'PROCESSING' });
      await expect(logged.getVerification(BENEFICIARY)).resolves.toMatchObject({ status: 'PROCESSING' });

      const msg = 'caliza session status not documented; read as PROCESSING';
      const warnings = entries().filter((e) => e.msg === msg);
      expect(warnings).toEqual([
        { level: 40, method: 'GET', path: VERIFICATION, sessionStatus: 'EXPIRED', msg },
        {
          level: 40,
          method: 'GET',
          path: VERIFICATION,
          sessionStatus: 'ODD [REDACTED]',
          msg,
        },
      ]);
      expect(lines.join('\n')).not.toContain(password);
    });

    it('URL-encodes path segments and refuses ids that would change the path', async () => {
      const odd = 'a b/c?d';
      const path = '/v1/beneficiaries/a%20b%2Fc%3Fd/verification';
      server.enqueue('GET', path, { body: sessionBody(odd) });

      await expect(client.getVerification(odd)).resolves.toMatchObject({ beneficiaryId: odd });
      expect(apiRequests()[0]?.path).toBe(path);

      for (const bad of ['', '.', '..']) {
        await expect(client.getVerification(bad)).rejects.toThrow(TypeError);
      }
      for (const bad of ['.', '..', '  ', 'x\uD800']) {
        await expect(client.createVerification(bad)).rejects.toBeInstanceOf(CalizaInvalidIdError);
        await expect(client.getBeneficiary(bad)).rejects.toMatchObject({
          name: 'CalizaInvalidIdError',
          field: 'beneficiaryId',
        });
      }
      await expect(client.getWebhookUrl('..')).rejects.toThrow('integratorId must not be "." or ".."');
      expect(apiRequests()).toHaveLength(1);
    });
  });

  describe('401 handling', () => {
    it('refreshes the token and retries once when the token is rejected', async () => {
      server.setDefault('GET', VERIFICATION, { body: sessionBody(BENEFICIARY) });
      await client.getVerification(BENEFICIARY);
      server.expireTokens();

      await expect(client.getVerification(BENEFICIARY)).resolves.toMatchObject({
        id: '6925dd986a93002882da640b',
      });

      expect(server.tokenCalls).toBe(2);
      const calls = apiRequests().map((r) => r.headers.authorization);
      expect(calls).toEqual([
        `Bearer ${server.issuedTokens[0]}`,
        `Bearer ${server.issuedTokens[0]}`,
        `Bearer ${server.issuedTokens[1]}`,
      ]);
    });

    it('fails when the 401 survives the refresh, after exactly one retry', async () => {
      server.setDefault('POST', VERIFICATION, { status: 401 });

      const error = await failure(client.createVerification(BENEFICIARY));

      expect(error).toBeInstanceOf(CalizaApiError);
      expect(error).toMatchObject({ status: 401, endpoint: 'api', code: undefined });
      expect((error as Error).message).toBe(`Caliza POST ${VERIFICATION} returned 401`);
      expect(server.tokenCalls).toBe(2);
      expect(server.requestsTo('POST', VERIFICATION)).toHaveLength(2);
    });
  });

  describe('errors', () => {
    it('keeps Caliza code, message and traceId of a 404', async () => {
      server.enqueue('GET', VERIFICATION, {
        status: 404,
        body: {
          code: 'beneficiary.not_found',
          message: 'Beneficiary not found',
          traceId: 'abc123',
          path: `/core-api${VERIFICATION}`,
        },
      });

      const error = await failure(client.getVerification(BENEFICIARY));

      expect(error).toBeInstanceOf(CalizaApiError);
      expect(error).toMatchObject({
        endpoint: 'api',
        method: 'GET',
        path: VERIFICATION,
        status: 404,
        code: 'beneficiary.not_found',
        calizaMessage: 'Beneficiary not found',
        traceId: 'abc123',
      });
      expect((error as Error).message).toBe(
        `Caliza GET ${VERIFICATION} returned 404 beneficiary.not_found: Beneficiary not found (traceId abc123)`,
      );
    });

    it('keeps validation messages of an { errors: [...] } body', async () => {
      server.enqueue('POST', '/v1/beneficiaries', {
        status: 400,
        body: { errors: ['External id is required', 'Beneficiary type is required'] },
      });

      const error = await failure(
        client.createBeneficiary({ type: 'BUSINESS', integratorBeneficiaryId: '', business: {} }),
      );

      expect(error).toMatchObject({
        status: 400,
        errors: ['External id is required', 'Beneficiary type is required'],
      });
      expect((error as Error).message).toBe(
        'Caliza POST /v1/beneficiaries returned 400 [External id is required; Beneficiary type is required]',
      );
    });

    it('parses Retry-After given in seconds or as an HTTP date', async () => {
      const now = Date.parse('2025-01-15T12:00:00Z');
      const timed = new CalizaClient(loadCalizaConfig(server.env()), { now: () => now });
      const answers: [status: number, retryAfter: string, retryAfterMs: number | undefined][] = [
        [429, '7', 7000],
        [503, 'Wed, 15 Jan 2025 12:00:30 GMT', 30_000],
        [503, 'soon', undefined],
        // A zero or past wait still waits a second.
        [429, '0', 1000],
        [503, 'Wed, 15 Jan 2025 11:59:00 GMT', 1000],
      ];
      server.enqueue(
        'GET',
        VERIFICATION,
        ...answers.map(([status, retryAfter]) => ({ status, headers: { 'Retry-After': retryAfter } })),
      );

      for (const [status, , retryAfterMs] of answers) {
        await expect(failure(timed.getVerification(BENEFICIARY))).resolves.toMatchObject({
          status,
          retryAfterMs,
        });
      }
    });

    it('builds a bare message for a non-JSON error page', async () => {
      server.enqueue('GET', VERIFICATION, { status: 502, rawBody: '<html><body>Bad gateway</body></html>' });

      const error = await failure(client.getVerification(BENEFICIARY));

      expect((error as Error).message).toBe(`Caliza GET ${VERIFICATION} returned 502`);
    });

    it('turns a timeout into a CalizaNetworkError', async () => {
      server.enqueue('GET', VERIFICATION, { delayMs: 5_000, body: sessionBody(BENEFICIARY) });
      const started = Date.now();

      const error = await failure(client.getVerification(BENEFICIARY));

      expect(Date.now() - started).toBeLessThan(4_500);
      expect(error).toBeInstanceOf(CalizaNetworkError);
      expect(error).toMatchObject({ reason: 'timeout', method: 'GET', path: VERIFICATION });
      expect((error as Error).message).toMatch(
        new RegExp(`^Caliza GET ${VERIFICATION} failed: timed out after 1000 ms`),
      );
    });

    it('aborts a call when its signal aborts, rejecting with the signal reason', async () => {
      const slow = new CalizaClient(loadCalizaConfig(server.env()));
      server.enqueue('GET', VERIFICATION, { delayMs: 30_000, body: sessionBody(BENEFICIARY) });
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      const started = Date.now();
      setTimeout(() => controller.abort(reason), 200);

      const error = await failure(slow.getVerification(BENEFICIARY, { signal: controller.signal }));

      expect(error).toBe(reason);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(server.requestsTo('GET', VERIFICATION)).toHaveLength(1);
    });

    it('sends nothing for an aborted signal, and leaves the shared token fetch to the other callers', async () => {
      server.tokenDelayMs = 500;
      server.setDefault('GET', VERIFICATION, { body: sessionBody(BENEFICIARY) });
      const controller = new AbortController();
      const waiting = client.getVerification(BENEFICIARY, { signal: controller.signal });
      const other = client.getVerification(BENEFICIARY);
      setTimeout(() => controller.abort(), 50);

      await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
      await expect(other).resolves.toMatchObject({ beneficiaryId: BENEFICIARY });
      await expect(client.getVerification(BENEFICIARY, { signal: controller.signal })).rejects.toMatchObject({
        name: 'AbortError',
      });
      expect(server.tokenCalls).toBe(1);
      expect(server.requestsTo('GET', VERIFICATION)).toHaveLength(1);
    });

    it('turns a dropped connection into a CalizaNetworkError', async () => {
      server.enqueue('GET', VERIFICATION, { destroy: true });

      const error = await failure(client.getVerification(BENEFICIARY));

      expect(error).toBeInstanceOf(CalizaNetworkError);
      expect(error).toMatchObject({ reason: 'connection_reset', code: 'ECONNRESET' });
    });

    it('turns a refused connection into a CalizaNetworkError', async () => {
      const env = server.env();
      await server.close();
      const offline = new CalizaClient(loadCalizaConfig(env));

      const error = await failure(offline.getVerification(BENEFICIARY));

      expect(error).toBeInstanceOf(CalizaNetworkError);
      expect(error).toMatchObject({ endpoint: 'token', reason: 'connection_refused', code: 'ECONNREFUSED' });
      server = await FakeCalizaServer.start(); // for afterEach
    });

    it('never lets an axios error, or its request config, escape', async () => {
      server.enqueue('GET', VERIFICATION, { delayMs: 5_000 }, { status: 500 });
      const errors = [
        await failure(client.getVerification(BENEFICIARY)),
        await failure(client.getVerification(BENEFICIARY)),
      ];
      for (const error of errors) {
        expect(error).not.toHaveProperty('config');
        expect(error).not.toHaveProperty('request');
        expect(error).not.toHaveProperty('response');
        expect((error as Error).cause).toBeUndefined();
        expect(JSON.stringify(error)).not.toContain('Bearer');
      }
    });
  });

  describe('integrator and beneficiary tooling', () => {
    const webhooks = `/v1/integrators/${INTEGRATOR}/webhooks`;
    const secretPath = `/v1/integrators/${INTEGRATOR}/webhook-secret`;

    it('reads the integrator without its credentials', async () => {
      server.enqueue('GET', '/v1/integrators/me', {
        body: {
          id: INTEGRATOR,
          name: 'Acme',
          active: true,
          callbackUrl: '',
          credentials: { clientSecret: 'do-not-keep' },
        },
      });

      const integrator = await client.getIntegrator();

      expect(integrator).toStrictEqual({ id: INTEGRATOR, name: 'Acme', active: true, callbackUrl: null });
    });

    it('sets the webhook URL with PATCH { callbackUrl }', async () => {
      server.enqueue('PATCH', webhooks, {
        status: 200,
        body: { callbackUrl: 'https://hooks.example.test/caliza' },
      });

      await client.setWebhookUrl(INTEGRATOR, 'https://hooks.example.test/caliza');

      const [request] = server.requestsTo('PATCH', webhooks);
      expect(JSON.parse(request?.body ?? '')).toEqual({ callbackUrl: 'https://hooks.example.test/caliza' });
    });

    it.each([
      [{ body: { callbackUrl: 'https://a.example.test' } }, 'https://a.example.test'],
      [{ body: { url: 'https://b.example.test', events: [] } }, 'https://b.example.test'],
      [{ body: 'https://c.example.test' }, 'https://c.example.test'],
      [{ body: { callbackUrl: '' } }, null],
      [{ status: 204 }, null],
    ])('reads the webhook URL from %j', async (response, expected) => {
      server.enqueue('GET', webhooks, response);
      await expect(client.getWebhookUrl(INTEGRATOR)).resolves.toBe(expected);
    });

    it.each([
      [{ rawBody: 'plain-secret-1', headers: { 'Content-Type': 'text/plain' } }],
      [{ body: 'plain-secret-1' }],
      [{ body: { secret: 'plain-secret-1' } }],
      [{ body: { webhookSecret: 'plain-secret-1' } }],
    ])('reads the webhook secret from %j', async (response) => {
      server.enqueue('GET', secretPath, response);
      await expect(client.getWebhookSecret(INTEGRATOR)).resolves.toBe('plain-secret-1');
    });

    it('rejects a webhook secret answer without a secret', async () => {
      server.enqueue('GET', secretPath, { body: { enabled: true } });
      await expect(client.getWebhookSecret(INTEGRATOR)).rejects.toBeInstanceOf(CalizaUnexpectedResponseError);
    });

    it('rotates the webhook secret, returning the new one only when Caliza sends it', async () => {
      const rotate = `/v1/integrators/${INTEGRATOR}/update-webhook-secret`;
      server.enqueue('POST', rotate, { status: 200 }, { body: { secret: 'new-secret-2' } });

      await expect(client.rotateWebhookSecret(INTEGRATOR)).resolves.toBeNull();
      await expect(client.rotateWebhookSecret(INTEGRATOR)).resolves.toBe('new-secret-2');
      expect(server.requestsTo('POST', rotate)).toHaveLength(2);
    });

    it('creates individual and business beneficiaries and reads one back', async () => {
      const created = {
        id: BENEFICIARY,
        integratorId: INTEGRATOR,
        integratorBeneficiaryId: 'my-user-001',
        type: 'INDIVIDUAL',
        active: true,
        kycVerified: false,
        status: 'PENDING',
        createdDate: '2025-01-15T16:47:20.568615486Z',
      };
      server.enqueue(
        'POST',
        '/v1/beneficiaries',
        { status: 201, body: created },
        {
          status: 201,
          body: { ...created, type: 'BUSINESS', integratorBeneficiaryId: 'my-co-001' },
        },
      );
      server.enqueue('GET', `/v1/beneficiaries/${BENEFICIARY}`, { body: { ...created, status: 'APPROVED' } });
      const person = {
        firstName: 'Jane',
        lastName: 'Doe',
        dateOfBirth: '1985-11-20',
        citizenship: 'US',
        idNumber: 'D1234567',
        email: 'jane@example.test',
        phoneNumber: '+12025550148',
        address: { streetOne: '1 Main St', city: 'Washington', zipcode: '20500', state: 'DC', country: 'US' },
      };

      await expect(
        client.createBeneficiary({ integratorBeneficiaryId: 'my-user-001', type: 'INDIVIDUAL', person }),
        // Caliza's documented object has no reason field: the client reads it as none.
      ).resolves.toStrictEqual({ ...created, rejectionReason: null });
      await expect(
        client.createBeneficiary({
          integratorBeneficiaryId: 'my-co-001',
          type: 'BUSINESS',
          business: { legalName: 'Acme LLC', contacts: [] },
        }),
      ).resolves.toMatchObject({ type: 'BUSINESS' });
      await expect(client.getBeneficiary(BENEFICIARY)).resolves.toMatchObject({ status: 'APPROVED' });
      server.enqueue('GET', `/v1/beneficiaries/${BENEFICIARY}`, {
        body: { ...created, status: 'FAILED', rejectionReason: 'Document expired' },
      });
      await expect(client.getBeneficiary(BENEFICIARY)).resolves.toMatchObject({
        status: 'FAILED',
        rejectionReason: 'Document expired',
      });

      const bodies = server.requestsTo('POST', '/v1/beneficiaries').map((r) => JSON.parse(r.body) as unknown);
      expect(bodies).toEqual([
        { integratorBeneficiaryId: 'my-user-001', type: 'INDIVIDUAL', person },
        {
          integratorBeneficiaryId: 'my-co-001',
          type: 'BUSINESS',
          business: { legalName: 'Acme LLC', contacts: [] },
        },
      ]);
    });
  });

  describe('logging', () => {
    it('logs method, path, status and duration of each call, nothing more', async () => {
      const { logger, entries } = capturingLogger();
      const logged = new CalizaClient(loadCalizaConfig(server.env()), { logger });
      server.enqueue('GET', VERIFICATION, { body: sessionBody(BENEFICIARY) }, { status: 404 });

      await logged.getVerification(BENEFICIARY);
      await failure(logged.getVerification(BENEFICIARY));

      const http = entries().filter((e) => e.msg === 'caliza http request');
      expect(http.map(({ method, path, status, level }) => ({ method, path, status, level }))).toEqual([
        { method: 'POST', path: TOKEN_PATH, status: 200, level: 20 },
        { method: 'GET', path: VERIFICATION, status: 200, level: 20 },
        { method: 'GET', path: VERIFICATION, status: 404, level: 40 },
      ]);
      for (const entry of http) {
        expect(Object.keys(entry).sort()).toEqual([
          'durationMs',
          'endpoint',
          'level',
          'method',
          'msg',
          'path',
          'status',
        ]);
        expect(typeof entry.durationMs).toBe('number');
      }
    });
  });
});
