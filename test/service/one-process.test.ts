import { hashApiKey, newApiKey } from '../../src/api/api-keys';
import { signWebhookBody } from '../../src/caliza/signature';
import { CalizaClient } from '../../src/caliza';
import { VerificationClient } from '../../src/client';
import { freePort } from '../../dev/free-port';
import { runEntry } from '../support/entry-process';
import { uniqueTaskQueue, workflowBundle } from '../support/temporal';
import {
  calizaConfigFor,
  calizaEnvFor,
  verifyThroughWebhook,
  withSandboxAndDevServer,
} from '../stack/support';

const runMain = (parts: string[], env: Record<string, string>) => runEntry('src/main.ts', parts, env);

describe('one process, every part (src/main.ts)', () => {
  const context = withSandboxAndDevServer();

  it('runs the worker, the HTTP API and a receiver that takes its secret from Caliza, and follows a rotation', async () => {
    const { sandbox, dev } = context;
    const port = await freePort();
    const apiPort = await freePort();
    const apiKey = newApiKey();
    const taskQueue = uniqueTaskQueue('one-process');
    const run = runMain(['worker', 'webhooks', 'api'], {
      API_PORT: String(apiPort),
      API_HOST: '127.0.0.1',
      API_KEY_HASHES: hashApiKey(apiKey),
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS ?? '',
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKFLOW_BUNDLE_PATH: workflowBundle().codePath,
      WEBHOOK_PORT: String(port),
      WEBHOOK_HOST: '127.0.0.1',
      WEBHOOK_SECRET_REFRESH_MS: '1000',
      ...calizaEnvFor(sandbox),
    });
    const caliza = new CalizaClient(calizaConfigFor(sandbox));
    try {
      await run.waitFor('HTTP API listening', 30_000);
      expect(run.output()).toContain('webhook receiver listening');
      expect(run.output()).toContain('worker started');
      const url = `http://127.0.0.1:${port}/webhooks/caliza`;
      const integratorId = (await caliza.getIntegrator()).id;
      await caliza.setWebhookUrl(integratorId, url);

      // The double signs its webhooks with the integrator's secret, which the receiver read from it.
      const verifications = new VerificationClient(dev.client, { taskQueue });
      const beneficiaryId = await verifyThroughWebhook(sandbox, caliza, verifications, 'one-process');
      // The HTTP API in the same process reads the same verification.
      const state = await fetch(`http://127.0.0.1:${apiPort}/v1/verifications/${beneficiaryId}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      expect(state.status).toBe(200);
      expect(await state.json()).toMatchObject({ status: 'SUCCEEDED', outcome: { outcome: 'APPROVED' } });

      // After a rotation at Caliza the new secret is picked up, and the previous one still verifies.
      const previous = await caliza.getWebhookSecret(integratorId);
      const rotated =
        (await caliza.rotateWebhookSecret(integratorId)) ?? (await caliza.getWebhookSecret(integratorId));
      expect(rotated).not.toBe(previous);
      const body = Buffer.from(JSON.stringify({ operation: 'TRANSACTION_COMPLETED' }));
      const post = (secret: string) =>
        fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-caliza-webhook-signature': signWebhookBody(body, secret),
          },
          body,
        }).then((answer) => answer.status);
      const deadline = Date.now() + 10_000;
      while ((await post(rotated)) !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(await post(rotated)).toBe(200);
      expect(await post(previous)).toBe(200);
      expect(await post('whsec_never_issued_by_caliza')).toBe(401);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('worker stopped');
    expect(run.output()).toContain('webhook receiver stopped');
    expect(run.output()).toContain('HTTP API stopped');
    expect(run.output()).not.toContain(apiKey);
    expect(run.output()).not.toContain(sandbox.credentials.password);
  });

  it('refuses to start with every configuration problem in one message', async () => {
    const run = runMain(['worker', 'webhooks'], { WEBHOOK_PORT: 'eighty', ADMIN_PORT: 'ninety' });
    expect(await run.exited).toBe(1);
    const output = run.output();
    expect(output).toContain('invalid configuration');
    expect(output).toContain('CALIZA_CLIENT_ID');
    expect(output).toContain('WEBHOOK_PORT must be an integer');
    expect(output).toContain('ADMIN_PORT must be an integer from 0 to 65535');
  });

  it('runs the HTTP API alone (npm run api), refusing to start without a key hash', async () => {
    const run = runEntry('src/api/main.ts', [], { API_KEY_HASHES: 'sha256:not-hex', API_PORT: '70000' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('API_PORT must be an integer from 0 to 65535');
    expect(run.output()).toContain('API_KEY_HASHES: 1 of 1 entries are not sha256:<64 hex digits>');
    expect(run.output()).not.toContain('not-hex');
  });

  it('names the parts it knows when asked for another', async () => {
    const run = runMain(['scheduler'], {});
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(
      'unknown part scheduler; usage: main <part>… where part is worker, webhooks, codec-server, api',
    );
  });
});
