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
});
