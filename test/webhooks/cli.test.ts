import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../dev/free-port';
import { uniqueTaskQueue } from '../support/temporal';
import { envelopeBody, postSigned, send } from './support';

const ROOT = path.resolve(__dirname, '../..');
const SECRET = 'whsec_cli_secret_value';

function runMain(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/webhooks/main.ts'],
    {
      cwd: ROOT,
      // Only what the receiver needs: no inherited Temporal or webhook settings.
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (text: string, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        if (output.includes(text)) return resolve();
        if (Date.now() - started > timeoutMs) return reject(new Error(`no "${text}" in: ${output}`));
        setTimeout(check, 50);
      };
      check();
    });
  return { child, exited, waitFor, output: () => output };
}

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
