import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type SandboxHandle, startSandbox } from '../../caliza-double';
import { sampleIndividual } from '../../dev/sample-beneficiaries';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { createActivities } from '../../src/activities';
import { CalizaClient } from '../../src/caliza';
import { VerificationClient } from '../../src/client';
import { calizaConfigFor } from '../stack/support';
import { connectToDevServer, createTestWorker, uniqueTaskQueue } from '../support/temporal';

const PYTHON = path.join(PROJECT_ROOT, '.tools/python/bin/python');

function runPython(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(__dirname, 'contract_check.py')], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('a Python caller (temporalio SDK) that knows only docs/contract.json', () => {
  let sandbox: SandboxHandle;
  let dev: Awaited<ReturnType<typeof connectToDevServer>>;
  beforeAll(async () => {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run \`npm run setup:python\``);
    // The double needs a callback URL before it creates beneficiaries; nothing listens there: the Python
    // caller delivers the outcome event itself, as a webhook receiver in Python would.
    sandbox = await startSandbox({
      processingDelayMs: 50,
      callbackUrl: 'http://127.0.0.1:9/webhooks/caliza',
      webhooks: { maxAttempts: 1 },
    });
    dev = await connectToDevServer();
  });
  afterAll(async () => {
    await dev?.close();
    await sandbox?.close();
  });

  it('starts by update-with-start, gets the URL, approves through the double and reads the result', async () => {
    const caliza = new CalizaClient(calizaConfigFor(sandbox));
    const beneficiaryId = (await caliza.createBeneficiary(sampleIndividual('python-contract'))).id;
    const taskQueue = uniqueTaskQueue('python-contract');
    const worker = await createTestWorker(dev.nativeConnection, {
      taskQueue,
      activities: createActivities({ caliza }),
    });
    const run = await worker.runUntil(
      runPython({
        TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS ?? '',
        TASK_QUEUE: taskQueue,
        BENEFICIARY_ID: beneficiaryId,
        CONTRACT_PATH: path.join(PROJECT_ROOT, 'docs/contract.json'),
      }),
    );
    if (run.code !== 0)
      throw new Error(`the Python caller failed (${run.code}):\n${run.stderr}${run.stdout}`);
    const seen = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>;
    expect(seen.session).toEqual({
      verificationUrl: expect.stringContaining(sandbox.url),
      status: 'PENDING',
    });
    expect(seen.result).toMatchObject({ beneficiaryId, outcome: 'APPROVED', reason: null, kind: 'KYC' });
    expect(seen.state).toMatchObject({ status: 'SUCCEEDED', deadlineAt: seen.deadline?.deadlineAt });

    // The TypeScript side sees the very run the Python caller started, as one of its own.
    const verifications = new VerificationClient(dev.client, { taskQueue });
    expect(await verifications.result(beneficiaryId)).toEqual(seen.result);
    const description = await verifications.handle(beneficiaryId).describe();
    expect(description.memo).toEqual({ mode: 'VERIFY' });
  });
});
