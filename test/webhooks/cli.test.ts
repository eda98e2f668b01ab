import { freePort } from '../../dev/free-port';
import { runEntry } from '../support/entry-process';
import { uniqueTaskQueue } from '../support/temporal';
import { envelopeBody, postSigned, send } from './support';

const SECRET = 'whsec_cli_secret_value';

const runMain = (env: Record<string, string>) => runEntry('src/webhooks/main.ts', [], env);

describe('webhook receiver entry point (src/webhooks/main.ts)', () => {
  it('serves from its environment and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const run = runMain({
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS ?? '',
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('webhooks-cli'),
      WEBHOOK_PORT: String(port),
      WEBHOOK_HOST: '127.0.0.1',
      CALIZA_WEBHOOK_SECRETS: `${SECRET},whsec_cli_previous`,
    });
    try {
      await run.waitFor('webhook receiver listening');
      const url = `http://127.0.0.1:${port}/webhooks/caliza`;
      expect((await send(`http://127.0.0.1:${port}/readyz`, { method: 'GET' })).status).toBe(200);
      expect(
        (await postSigned(url, envelopeBody({ operation: 'TRANSACTION_COMPLETED' }), 'whsec_cli_previous'))
          .json,
      ).toEqual({ status: 'ignored' });
      expect((await postSigned(url, envelopeBody({ beneficiaryId: 'wh-cli-1' }), SECRET)).json).toEqual({
        status: 'accepted',
      });
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('webhook receiver stopped');
    expect(run.output()).not.toContain(SECRET);
    expect(run.output()).not.toContain('whsec_cli_previous');
  });

  it('refuses to start on a bad configuration, naming each variable and no secret', async () => {
    const run = runMain({ WEBHOOK_PORT: 'eighty', CALIZA_WEBHOOK_SECRETS: `${SECRET},` });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('WEBHOOK_PORT must be an integer');
    expect(run.output()).toContain('CALIZA_WEBHOOK_SECRETS has an empty entry');
    expect(run.output()).not.toContain(SECRET);
  });
});
