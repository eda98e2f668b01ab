import { startSandbox, type SandboxHandle } from '../../caliza-double/server';
import { getToken, passwordForm, request, sleep, testOptions, type TokenBody } from './support';

describe('sandbox token endpoint and bearer authentication', () => {
  let sandbox: SandboxHandle;
  const me = () => `${sandbox.apiBaseUrl}/v1/integrators/me`;

  beforeAll(async () => {
    sandbox = await startSandbox(testOptions({ tokenTtlSeconds: 600, refreshTokenTtlSeconds: 900 }));
  });
  afterAll(() => sandbox.close());

  it('issues a Keycloak-shaped token for the password grant', async () => {
    const answer = await request<TokenBody>(sandbox.tokenUrl, { form: passwordForm(sandbox) });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.json).toEqual({
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      expires_in: 600,
      refresh_expires_in: 900,
      refresh_token: expect.any(String),
      token_type: 'Bearer',
      id_token: expect.any(String),
      'not-before-policy': 0,
      session_state: expect.any(String),
      scope: 'openid email profile',
    });
    const claims = JSON.parse(
      Buffer.from(answer.json.access_token.split('.')[1] ?? '', 'base64url').toString(),
    ) as {
      iss: string;
      exp: number;
      typ: string;
    };
    expect(claims.iss).toBe(`${sandbox.url}/auth/realms/caliza`);
    expect(claims.typ).toBe('Bearer');
    expect(claims.exp * 1000).toBeGreaterThan(Date.now() + 590_000);
  });

  it('answers wrong user credentials with 401 invalid_grant', async () => {
    const answer = await request(sandbox.tokenUrl, { form: passwordForm(sandbox, { password: 'nope' }) });
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({ error: 'invalid_grant', error_description: 'Invalid user credentials' });
  });

  it('answers wrong client credentials with 401 unauthorized_client', async () => {
    const answer = await request(sandbox.tokenUrl, {
      form: passwordForm(sandbox, { client_secret: 'nope' }),
    });
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({
      error: 'unauthorized_client',
      error_description: 'Invalid client or Invalid client credentials',
    });
  });

  it('rejects a missing grant_type, an unsupported grant and a JSON body with 400', async () => {
    const { grant_type: _omitted, ...withoutGrant } = passwordForm(sandbox);
    const missing = await request(sandbox.tokenUrl, { form: withoutGrant });
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({
      error: 'invalid_request',
      error_description: 'Missing form parameter: grant_type',
    });

    const unsupported = await request(sandbox.tokenUrl, {
      form: passwordForm(sandbox, { grant_type: 'client_credentials' }),
    });
    expect(unsupported.status).toBe(400);
    expect(unsupported.json).toMatchObject({ error: 'unsupported_grant_type' });

    const asJson = await request(sandbox.tokenUrl, { json: passwordForm(sandbox) });
    expect(asJson.status).toBe(400);
    expect(asJson.json).toMatchObject({ error: 'invalid_request' });
  });

  it('exchanges a refresh token for a new access token, and refuses a bad one', async () => {
    const first = await request<TokenBody>(sandbox.tokenUrl, { form: passwordForm(sandbox) });
    const refreshed = await request<TokenBody>(sandbox.tokenUrl, {
      form: {
        grant_type: 'refresh_token',
        client_id: sandbox.credentials.clientId,
        client_secret: sandbox.credentials.clientSecret,
        refresh_token: first.json.refresh_token,
      },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.session_state).toBe(first.json.session_state);
    expect((await request(me(), { token: refreshed.json.access_token })).status).toBe(200);

    const bad = await request(sandbox.tokenUrl, {
      form: {
        grant_type: 'refresh_token',
        client_id: sandbox.credentials.clientId,
        client_secret: sandbox.credentials.clientSecret,
        refresh_token: first.json.access_token,
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: 'invalid_grant', error_description: 'Invalid refresh token' });
  });

  it('answers a call without a token with 401, an empty body and WWW-Authenticate: Bearer', async () => {
    const answer = await request(me());
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    expect(answer.text).toBe('');
  });

  it('answers a forged, tampered or refresh token with 401 invalid_token', async () => {
    const token = await getToken(sandbox);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    // A longer lifetime under the original signature must not pass.
    const longer = Buffer.from(JSON.stringify({ ...claims, exp: (claims.exp as number) + 3600 })).toString(
      'base64url',
    );
    const tampered = `${header}.${longer}.${signature}`;
    const refresh = (await request<TokenBody>(sandbox.tokenUrl, { form: passwordForm(sandbox) })).json
      .refresh_token;
    for (const bad of ['garbage', tampered, refresh]) {
      const answer = await request(me(), { token: bad });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    }
    expect((await request(me(), { token })).status).toBe(200);
  });

  it('stops accepting every token once they are revoked through the admin API', async () => {
    const token = await getToken(sandbox);
    expect((await request(me(), { token })).status).toBe(200);
    expect((await request(`${sandbox.adminUrl}/tokens/revoke`, { method: 'POST' })).status).toBe(204);
    expect((await request(me(), { token })).status).toBe(401);
    expect((await request(me(), { token: await getToken(sandbox) })).status).toBe(200);
  });
});

describe('sandbox token expiry', () => {
  it('rejects an access token after its lifetime with 401 "Jwt expired"', async () => {
    const sandbox = await startSandbox(testOptions({ tokenTtlSeconds: 0.5 }));
    try {
      const answer = await request<TokenBody>(sandbox.tokenUrl, { form: passwordForm(sandbox) });
      expect(answer.json.expires_in).toBe(1);
      const url = `${sandbox.apiBaseUrl}/v1/integrators/me`;
      expect((await request(url, { token: answer.json.access_token })).status).toBe(200);
      await sleep(550);
      const expired = await request(url, { token: answer.json.access_token });
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toBe(
        'Bearer error="invalid_token", error_description="Jwt expired"',
      );
    } finally {
      await sandbox.close();
    }
  });
});
