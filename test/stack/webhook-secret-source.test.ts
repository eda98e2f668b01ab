import { WebhookSecretSource } from '../../src/webhooks/webhook-secret-source';
import { createLogger } from '../../src/logger';

describe('the webhook secret read from Caliza', () => {
  it('keeps accepting the previous secret for a grace period after a rotation', async () => {
    let secret = 'first';
    let now = 1_000;
    const source = new WebhookSecretSource(
      { getWebhookSecret: async () => secret },
      'integrator',
      createLogger('test', 'silent'),
      60_000,
      () => now,
    );
    expect(source.current()).toEqual([]);
    await source.refresh();
    expect(source.current()).toEqual(['first']);
    await source.refresh();
    expect(source.current()).toEqual(['first']);
    secret = 'second';
    await source.refresh();
    expect(source.current()).toEqual(['second', 'first']);
    now += 60_001;
    expect(source.current()).toEqual(['second']);
  });
});
