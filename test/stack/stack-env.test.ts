import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CalizaConfigError } from '../../src/caliza';
import { formatRecord } from '../../dev/console-log';
import { DEFAULT_DEV_DB_FILE, StackConfigError, stackOptionsFromEnv } from '../../dev/stack-env';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { WebhookConfigError } from '../../src/webhooks';

const caliza = {
  CALIZA_API_BASE_URL: 'https://caliza.example/core-api',
  CALIZA_CLIENT_ID: 'client',
  CALIZA_CLIENT_SECRET: 'client-secret',
  CALIZA_USERNAME: 'user@example.com',
  CALIZA_PASSWORD: 'password',
};

describe("npm start's configuration from the environment", () => {
  it('runs everything locally by default, on the usual ports, with its data under .data/', () => {
    const options = stackOptionsFromEnv({});
    expect(options.temporal).toEqual({
      kind: 'dev-server',
      port: 7233,
      uiPort: 8233,
      dbFilename: path.join(PROJECT_ROOT, '.data', 'temporal-dev.sqlite'),
      namespace: 'default',
      detached: true,
    });
    expect(DEFAULT_DEV_DB_FILE).toBe(path.join(PROJECT_ROOT, '.data', 'temporal-dev.sqlite'));
    expect(options.caliza).toMatchObject({ kind: 'sandbox', options: { port: 4010 } });
    expect(options.webhooks).toEqual({
      port: 3000,
      host: '127.0.0.1',
      path: '/webhooks/caliza',
      bodyLimitBytes: 64 * 1024,
      temporalTimeoutMs: 3_000,
      retryAfterSeconds: 5,
    });
    expect(options.taskQueue).toBe('caliza-kyc');
    expect(options.payloadCodec).toBeUndefined();
  });

  it('moves ports and data, or keeps the data in memory', () => {
    const options = stackOptionsFromEnv({
      TEMPORAL_DEV_PORT: '17233',
      TEMPORAL_DEV_UI_PORT: '0',
      TEMPORAL_DEV_DB_FILE: ':memory:',
      SANDBOX_PORT: '14010',
      WEBHOOK_PORT: '13000',
      WEBHOOK_HOST: '0.0.0.0',
      TEMPORAL_TASK_QUEUE: 'other-queue',
    });
    expect(options.temporal).toEqual({
      kind: 'dev-server',
      port: 17233,
      uiPort: 0,
      namespace: 'default',
      detached: true,
    });
    expect(options.caliza).toMatchObject({ kind: 'sandbox', options: { port: 14010 } });
    expect(options.webhooks).toMatchObject({ port: 13000, host: '0.0.0.0' });
    expect(options.taskQueue).toBe('other-queue');
    expect(stackOptionsFromEnv({ TEMPORAL_DEV_DB_FILE: 'tmp/x.sqlite' }).temporal).toMatchObject({
      dbFilename: path.resolve('tmp/x.sqlite'),
    });
  });

  it('uses an existing Temporal service when TEMPORAL_ADDRESS is set', () => {
    const options = stackOptionsFromEnv({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'kyc',
    });
    expect(options.temporal).toMatchObject({
      kind: 'external',
      connectionOptions: { address: 'temporal.internal:7233' },
      namespace: 'kyc',
    });
  });

  it('uses the configured Caliza, registering a webhook URL there only when WEBHOOK_PUBLIC_URL says which', () => {
    expect(stackOptionsFromEnv(caliza).caliza).toMatchObject({
      kind: 'configured',
      config: { apiBaseUrl: 'https://caliza.example/core-api', clientId: 'client' },
      registerWebhookUrl: false,
    });
    const withPublicUrl = stackOptionsFromEnv({
      ...caliza,
      WEBHOOK_PUBLIC_URL: 'https://hooks.example/caliza',
    });
    expect(withPublicUrl.caliza).toMatchObject({ kind: 'configured', registerWebhookUrl: true });
    expect(withPublicUrl.webhooks?.publicUrl).toBe('https://hooks.example/caliza');
    expect(() => stackOptionsFromEnv({ CALIZA_API_BASE_URL: caliza.CALIZA_API_BASE_URL })).toThrow(
      CalizaConfigError,
    );
  });

  it('takes fixed webhook secrets instead of reading the secret from Caliza', () => {
    expect(stackOptionsFromEnv({ CALIZA_WEBHOOK_SECRETS: 'new, old' }).webhooks?.secrets).toEqual([
      'new',
      'old',
    ]);
    expect(stackOptionsFromEnv({}).webhooks?.secrets).toBeUndefined();
  });

  it('turns on payload encryption, with a codec server for the Web UI, when keys are configured', () => {
    const options = stackOptionsFromEnv({
      PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    });
    expect(options.payloadCodec).toBeDefined();
    expect(options.codecServerPort).toBe(8888);
  });

  it('names the variable of every bad value', () => {
    expect(() => stackOptionsFromEnv({ TEMPORAL_DEV_PORT: 'seven' })).toThrow(StackConfigError);
    expect(() => stackOptionsFromEnv({ TEMPORAL_DEV_PORT: '70000' })).toThrow(/TEMPORAL_DEV_PORT/);
    expect(() => stackOptionsFromEnv({ WEBHOOK_PUBLIC_URL: 'hooks.example' })).toThrow(/WEBHOOK_PUBLIC_URL/);
    expect(() => stackOptionsFromEnv({ WEBHOOK_PORT: 'x' })).toThrow(WebhookConfigError);
    expect(() => stackOptionsFromEnv({ SANDBOX_PORT: '-1' })).toThrow(/SANDBOX_PORT/);
  });
});

describe('the readable log format', () => {
  it('prints time, level, component, message and the other fields', () => {
    const time = new Date(2030, 0, 1, 14, 3, 22).getTime();
    const line = formatRecord(
      JSON.stringify({
        level: 30,
        time,
        pid: 1,
        hostname: 'h',
        name: 'caliza-kyc',
        component: 'webhooks',
        msg: 'webhook delivered',
        beneficiaryId: 'b-1',
        durationMs: 12,
        err: { message: 'x' },
      }),
    );
    expect(line).toBe(
      '14:03:22 INFO  webhooks   webhook delivered  beneficiaryId=b-1 durationMs=12 err={"message":"x"}\n',
    );
    expect(formatRecord('not json\n')).toBe('not json\n');
  });
});
