import { CalizaClient } from '../../src/caliza/client';
import { loadCalizaConfig } from '../../src/caliza/config';
import { CalizaApiError, CalizaUnexpectedResponseError } from '../../src/caliza/errors';
import { PasswordGrantTokenProvider } from '../../src/caliza/token-provider';
import { FakeCalizaServer, sessionBody, TOKEN_PATH } from '../support/fake-caliza-server';

const BENEFICIARY = '6925dd986a93002882da640b';
const VERIFICATION = `/v1/beneficiaries/${BENEFICIARY}/verification`;

describe('Caliza access tokens', () => {
  let server: FakeCalizaServer;

  beforeEach(async () => {
    server = await FakeCalizaServer.start();
    server.setDefault('GET', VERIFICATION, { status: 200, body: sessionBody(BENEFICIARY) });
  });

  afterEach(async () => {
    await server.close();
  });

  function bearerOf(index: number): string | undefined {
    return server.requests.filter((r) => r.path !== TOKEN_PATH)[index]?.headers.authorization;
  }

  it('uses the password grant, form-encoded, with every credential', async () => {
    const client = new CalizaClient(loadCalizaConfig(server.env()));
    await client.getVerification(BENEFICIARY);

    const [tokenRequest] = server.requestsTo('POST', TOKEN_PATH);
    expect(tokenRequest?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(tokenRequest?.body);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'password',
      client_id: server.credentials.clientId,
      client_secret: server.credentials.clientSecret,
      username: server.credentials.username,
      password: server.credentials.password,
    });
    expect(bearerOf(0)).toBe(`Bearer ${server.issuedTokens[0]}`);
  });

  it('reuses one token across calls', async () => {
    const client = new CalizaClient(loadCalizaConfig(server.env()));
    for (let i = 0; i < 3; i++) await client.getVerification(BENEFICIARY);

    expect(server.tokenCalls).toBe(1);
    expect([bearerOf(0), bearerOf(1), bearerOf(2)]).toEqual(
      Array(3).fill(`Bearer ${server.issuedTokens[0]}`),
    );
  });

  it('makes concurrent callers share one token request', async () => {
    server.tokenDelayMs = 50;
    const client = new CalizaClient(loadCalizaConfig(server.env()));
    const sessions = await Promise.all(Array.from({ length: 8 }, () => client.getVerification(BENEFICIARY)));

    expect(sessions).toHaveLength(8);
    expect(server.tokenCalls).toBe(1);
  });

  it('replaces the token the refresh margin before it expires, before Caliza rejects it', async () => {
    server.expiresInS = 300;
    let now = 1_000_000;
    const client = new CalizaClient(
      loadCalizaConfig(server.env({ CALIZA_TOKEN_REFRESH_MARGIN_MS: '60000' })),
      {
        now: () => now,
      },
    );

    await client.getVerification(BENEFICIARY);
    now += 239_000;
    await client.getVerification(BENEFICIARY);
    expect(server.tokenCalls).toBe(1);

    now += 2_000; // 241 s: inside the 60 s margin of the 300 s token
    await client.getVerification(BENEFICIARY);
    expect(server.tokenCalls).toBe(2);
    expect(bearerOf(2)).toBe(`Bearer ${server.issuedTokens[1]}`);
    // The new token was fetched ahead of the call, not after a rejection.
    expect(server.requests.map((r) => r.path)).toEqual([
      TOKEN_PATH,
      VERIFICATION,
      VERIFICATION,
      TOKEN_PATH,
      VERIFICATION,
    ]);
  });

  it('keeps half the lifetime when the margin is longer than the token lives', async () => {
    server.expiresInS = 60;
    let now = 0;
    const client = new CalizaClient(
      loadCalizaConfig(server.env({ CALIZA_TOKEN_REFRESH_MARGIN_MS: '120000' })),
      {
        now: () => now,
      },
    );
    await client.getVerification(BENEFICIARY);
    now = 29_000;
    await client.getVerification(BENEFICIARY);
    expect(server.tokenCalls).toBe(1);
    now = 31_000;
    await client.getVerification(BENEFICIARY);
    expect(server.tokenCalls).toBe(2);
  });

  it('does not cache a failed token request: the next call asks again', async () => {
    server.enqueueToken({
      status: 503,
      body: { error: 'temporarily_unavailable' },
      headers: { 'Retry-After': '3' },
    });
    const client = new CalizaClient(loadCalizaConfig(server.env()));

    const error = await client.getVerification(BENEFICIARY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CalizaApiError);
    expect(error).toMatchObject({ endpoint: 'token', status: 503, retryAfterMs: 3000, path: TOKEN_PATH });

    await expect(client.getVerification(BENEFICIARY)).resolves.toMatchObject({ beneficiaryId: BENEFICIARY });
    expect(server.tokenCalls).toBe(2);
  });

  it('reports refused credentials with Keycloak code, and no credential in the message', async () => {
    const env = server.env({ CALIZA_PASSWORD: 'wrong-password-5522' });
    const client = new CalizaClient(loadCalizaConfig(env));

    const error = await client.getVerification(BENEFICIARY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CalizaApiError);
    const apiError = error as CalizaApiError;
    expect(apiError).toMatchObject({ endpoint: 'token', status: 401, code: 'invalid_grant' });
    expect(apiError.message).toBe(
      `Caliza token endpoint POST ${TOKEN_PATH} returned 401 invalid_grant: Invalid user credentials`,
    );
    const serialized = JSON.stringify(apiError) + String(apiError.stack);
    for (const secret of ['wrong-password-5522', server.credentials.clientSecret]) {
      expect(serialized).not.toContain(secret);
    }
    // No API call was attempted without a token.
    expect(server.requests.filter((r) => r.path !== TOKEN_PATH)).toHaveLength(0);
  });

  it('fails on a token answer without an access token, without echoing the body', async () => {
    server.enqueueToken({ status: 200, body: { expires_in: 300, refresh_token: 'refresh-abc-123' } });
    const client = new CalizaClient(loadCalizaConfig(server.env()));

    const error = await client.getVerification(BENEFICIARY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CalizaUnexpectedResponseError);
    expect((error as Error).message).toContain('access_token: invalid_type');
    expect((error as Error).message).not.toContain('refresh-abc-123');
  });

  it('invalidating a stale token keeps a newer one', async () => {
    const provider = new PasswordGrantTokenProvider(loadCalizaConfig(server.env()));
    const first = await provider.getToken();
    provider.invalidate(first);
    const second = await provider.getToken();
    expect(second).not.toBe(first);

    provider.invalidate(first); // a late 401 for the old token
    await expect(provider.getToken()).resolves.toBe(second);
    expect(server.tokenCalls).toBe(2);

    provider.invalidate();
    await expect(provider.getToken()).resolves.not.toBe(second);
    expect(server.tokenCalls).toBe(3);
  });
});
