import { loadWebhookConfig, WebhookConfigError } from '../../src/webhooks/config';

describe('webhook receiver configuration', () => {
  it('has defaults for everything but the secret', () => {
    expect(loadWebhookConfig({ CALIZA_WEBHOOK_SECRET: 's1' })).toEqual({
      port: 3000,
      host: '0.0.0.0',
      path: '/webhooks/caliza',
      secrets: ['s1'],
      bodyLimitBytes: 65_536,
      temporalTimeoutMs: 3_000,
      retryAfterSeconds: 5,
      logLevel: 'info',
      forward: null,
    });
  });

  it('reads every variable', () => {
    expect(
      loadWebhookConfig({
        WEBHOOK_PORT: '8080',
        WEBHOOK_HOST: '127.0.0.1',
        WEBHOOK_PATH: '/hooks/caliza-v2',
        CALIZA_WEBHOOK_SECRETS: ' new , old ',
        WEBHOOK_BODY_LIMIT_BYTES: '2048',
        WEBHOOK_TEMPORAL_TIMEOUT_MS: '1500',
        WEBHOOK_RETRY_AFTER_SECONDS: '30',
        LOG_LEVEL: 'debug',
      }),
    ).toEqual({
      port: 8080,
      host: '127.0.0.1',
      path: '/hooks/caliza-v2',
      secrets: ['new', 'old'],
      bodyLimitBytes: 2048,
      temporalTimeoutMs: 1500,
      retryAfterSeconds: 30,
      logLevel: 'debug',
      forward: null,
    });
  });

  it('puts the list before the single secret, without repeats', () => {
    expect(loadWebhookConfig({ CALIZA_WEBHOOK_SECRETS: 'a,b', CALIZA_WEBHOOK_SECRET: 'a' }).secrets).toEqual([
      'a',
      'b',
    ]);
    expect(loadWebhookConfig({ CALIZA_WEBHOOK_SECRETS: 'a,b', CALIZA_WEBHOOK_SECRET: 'c' }).secrets).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('names every bad variable at once, and never a secret', () => {
    let error: unknown;
    try {
      loadWebhookConfig({
        WEBHOOK_PORT: '70000',
        WEBHOOK_HOST: 'bad host',
        WEBHOOK_PATH: 'no-slash',
        CALIZA_WEBHOOK_SECRETS: 'whsec_top_secret_value,,',
        WEBHOOK_BODY_LIMIT_BYTES: '64k',
        WEBHOOK_TEMPORAL_TIMEOUT_MS: '9000',
        WEBHOOK_RETRY_AFTER_SECONDS: '-1',
        LOG_LEVEL: 'loud',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WebhookConfigError);
    const { problems, message } = error as WebhookConfigError;
    const named = problems.map((problem) => problem.split(' ')[0]);
    expect(named.sort()).toEqual(
      [
        'CALIZA_WEBHOOK_SECRETS',
        'LOG_LEVEL',
        'WEBHOOK_BODY_LIMIT_BYTES',
        'WEBHOOK_HOST',
        'WEBHOOK_PATH',
        'WEBHOOK_PORT',
        'WEBHOOK_RETRY_AFTER_SECONDS',
        'WEBHOOK_TEMPORAL_TIMEOUT_MS',
      ].sort(),
    );
    expect(message).not.toContain('whsec_top_secret_value');
  });

  it('requires a secret', () => {
    expect(() => loadWebhookConfig({})).toThrow(
      /CALIZA_WEBHOOK_SECRETS or CALIZA_WEBHOOK_SECRET must be set/,
    );
    expect(() => loadWebhookConfig({ CALIZA_WEBHOOK_SECRETS: ' ', CALIZA_WEBHOOK_SECRET: '' })).toThrow(
      WebhookConfigError,
    );
  });

  it('refuses a path that would hide a health or metrics route', () => {
    expect(() => loadWebhookConfig({ CALIZA_WEBHOOK_SECRET: 's', WEBHOOK_PATH: '/metrics' })).toThrow(
      /WEBHOOK_PATH/,
    );
  });

  describe('forwarding', () => {
    const base = { CALIZA_WEBHOOK_SECRET: 's' };
    const problemsOf = (env: Record<string, string>): string[] => {
      try {
        loadWebhookConfig({ ...base, ...env });
      } catch (err) {
        if (err instanceof WebhookConfigError) return err.problems;
        throw err;
      }
      return [];
    };

    it('forwards only the events it does not act on, within 1 s, by default', () => {
      expect(
        loadWebhookConfig({ ...base, WEBHOOK_FORWARD_URL: 'https://hooks.example/caliza' }).forward,
      ).toEqual({ url: 'https://hooks.example/caliza', all: false, timeoutMs: 1_000 });
    });

    it('reads WEBHOOK_FORWARD_ALL and WEBHOOK_FORWARD_TIMEOUT_MS', () => {
      const config = loadWebhookConfig({
        ...base,
        WEBHOOK_FORWARD_URL: 'http://10.0.0.5:8080/hooks',
        WEBHOOK_FORWARD_ALL: 'TRUE',
        WEBHOOK_FORWARD_TIMEOUT_MS: '1000',
      });
      expect(config.forward).toEqual({ url: 'http://10.0.0.5:8080/hooks', all: true, timeoutMs: 1_000 });
    });

    it('lets the Temporal delivery and the forward together fill Caliza’s budget, and not more', () => {
      // 3000 + 500 + 1000 = 4500: exactly the budget.
      expect(problemsOf({ WEBHOOK_FORWARD_URL: 'http://h/x', WEBHOOK_FORWARD_ALL: 'true' })).toEqual([]);
      const over = problemsOf({
        WEBHOOK_FORWARD_URL: 'http://h/x',
        WEBHOOK_FORWARD_ALL: 'true',
        WEBHOOK_FORWARD_TIMEOUT_MS: '1001',
      });
      expect(over).toHaveLength(1);
      expect(over[0]).toMatch(/^WEBHOOK_TEMPORAL_TIMEOUT_MS \+ 500 \+ WEBHOOK_FORWARD_TIMEOUT_MS .*4500/);
      // Lowering the Temporal deadline makes room for a slower downstream.
      expect(
        problemsOf({
          WEBHOOK_FORWARD_URL: 'http://h/x',
          WEBHOOK_FORWARD_ALL: 'true',
          WEBHOOK_FORWARD_TIMEOUT_MS: '2000',
          WEBHOOK_TEMPORAL_TIMEOUT_MS: '2000',
        }),
      ).toEqual([]);
      // Events that are only forwarded may use the whole budget.
      expect(problemsOf({ WEBHOOK_FORWARD_URL: 'http://h/x', WEBHOOK_FORWARD_TIMEOUT_MS: '4500' })).toEqual(
        [],
      );
      expect(problemsOf({ WEBHOOK_FORWARD_URL: 'http://h/x', WEBHOOK_FORWARD_TIMEOUT_MS: '4501' })).toEqual([
        'WEBHOOK_FORWARD_TIMEOUT_MS must be an integer from 100 to 4500',
      ]);
    });

    it('refuses a URL that is not http(s), carries credentials, or is missing while forwarding all', () => {
      expect(problemsOf({ WEBHOOK_FORWARD_URL: 'ftp://h/x' })).toEqual([
        'WEBHOOK_FORWARD_URL must be an http or https URL',
      ]);
      expect(problemsOf({ WEBHOOK_FORWARD_URL: '/relative' })).toEqual([
        'WEBHOOK_FORWARD_URL must be an absolute http or https URL',
      ]);
      const withToken = problemsOf({ WEBHOOK_FORWARD_URL: 'https://user:p4ss-word@h/x' });
      expect(withToken).toEqual(['WEBHOOK_FORWARD_URL must not carry credentials']);
      expect(withToken.join()).not.toContain('p4ss-word');
      expect(problemsOf({ WEBHOOK_FORWARD_ALL: 'true' })).toEqual([
        'WEBHOOK_FORWARD_ALL=true needs WEBHOOK_FORWARD_URL',
      ]);
      expect(problemsOf({ WEBHOOK_FORWARD_URL: 'http://h/x', WEBHOOK_FORWARD_ALL: 'maybe' })).toEqual([
        'WEBHOOK_FORWARD_ALL must be true or false',
      ]);
    });
  });
});
