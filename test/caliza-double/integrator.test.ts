import { startHarness, type CodedErrorBody, type Harness } from './support';

describe('sandbox integrator endpoints', () => {
  let h: Harness;
  const path = (suffix: string) => `/v1/integrators/${h.sandbox.integratorId}${suffix}`;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('returns the authenticated integrator with an empty callbackUrl before one is set', async () => {
    const answer = await h.api<Record<string, unknown>>('/v1/integrators/me');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      id: h.sandbox.integratorId,
      active: true,
      callbackUrl: '',
      credentials: { clientId: h.sandbox.credentials.clientId },
    });
    expect(JSON.stringify(answer.json)).not.toContain(h.sandbox.credentials.clientSecret);
  });

  it('sets, reads and clears the webhook URL through PATCH/GET …/webhooks', async () => {
    const patched = await h.api(path('/webhooks'), {
      method: 'PATCH',
      json: { callbackUrl: 'https://example.com/hooks' },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toEqual({
      integratorId: h.sandbox.integratorId,
      callbackUrl: 'https://example.com/hooks',
    });
    expect((await h.api(path('/webhooks'))).json).toEqual(patched.json);
    expect((await h.api<{ callbackUrl: string }>('/v1/integrators/me')).json.callbackUrl).toBe(
      'https://example.com/hooks',
    );

    const cleared = await h.api(path('/webhooks'), { method: 'PATCH', json: { callbackUrl: '' } });
    expect(cleared.json).toEqual({ integratorId: h.sandbox.integratorId, callbackUrl: '' });
  });

  it('rejects an invalid webhook configuration with 400 { errors }', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'Callback url is required'],
      [{ callbackUrl: 12 }, 'Callback url must be a string'],
      [{ callbackUrl: 'not a url' }, 'Callback url must be an absolute URL'],
      [{ callbackUrl: 'ftp://example.com/x' }, 'Callback url must use http or https'],
    ];
    for (const [json, message] of cases) {
      const answer = await h.api(path('/webhooks'), { method: 'PATCH', json });
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ errors: [message] });
    }
  });

  it('answers another integrator id with 404 integrator.not_found in the coded error format', async () => {
    const other = '000000000000000000000000';
    for (const [method, suffix] of [
      ['GET', '/webhooks'],
      ['PATCH', '/webhooks'],
      ['GET', '/webhook-secret'],
      ['POST', '/update-webhook-secret'],
    ] as const) {
      const answer = await h.api<CodedErrorBody>(`/v1/integrators/${other}${suffix}?x=1`, {
        method,
        json: method === 'PATCH' ? { callbackUrl: '' } : undefined,
      });
      expect(answer.status).toBe(404);
      expect(answer.json).toEqual({
        code: 'integrator.not_found',
        message: 'Integrator not found',
        traceId: expect.stringMatching(/^[0-9a-f]{16}$/),
        path: `/v1/integrators/${other}${suffix}`,
      });
    }
  });

  it('reads the webhook secret and rotates it, the old one being replaced at once', async () => {
    const before = await h.api<{ secret: string }>(path('/webhook-secret'));
    expect(before.status).toBe(200);
    expect(before.json.secret).toBe(h.sandbox.webhookSecret());

    const rotated = await h.api<{ secret: string }>(path('/update-webhook-secret'), { method: 'POST' });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).not.toBe(before.json.secret);
    expect(h.sandbox.webhookSecret()).toBe(rotated.json.secret);
    expect((await h.api<{ secret: string }>(path('/webhook-secret'))).json.secret).toBe(rotated.json.secret);
  });

  it('answers an unknown Core API path with 404 resource.not_found', async () => {
    const answer = await h.api<CodedErrorBody>('/v1/nothing-here');
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({ code: 'resource.not_found', path: '/v1/nothing-here' });
  });
});
