import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { CalizaClient } from '../../src/caliza';
import { VerificationClient } from '../../src/client';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { sampleBusiness, sampleIndividual } from '../../dev/sample-beneficiaries';
import { type SandboxHandle, startSandbox } from '../../caliza-double';
import { verificationKindKey, verificationOutcomeKey } from '../../src/search-attributes';
import { createVerificationWorker } from '../../src/worker';
import { connectToDevServer, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { calizaConfigFor } from '../stack/support';
import { DEFAULT_FAILURE_REASON } from '../../caliza-double/undocumented-behaviour';

const run = promisify(execFile);
const fastPolling = { initialIntervalMs: 300, multiplier: 1.5, maxIntervalMs: 1_000 };

/** The real worker, real activities and the real Caliza client, against the sandbox double over HTTP. */
describe('the real worker on the Temporal CLI dev server', () => {
  let sandbox: SandboxHandle;
  let temporal: Awaited<ReturnType<typeof connectToDevServer>>;
  let worker: Worker;
  let running: Promise<void>;
  let caliza: CalizaClient;
  let verifications: VerificationClient;
  const taskQueue = uniqueTaskQueue('e2e');

  beforeAll(async () => {
    // Webhooks go nowhere here: polling decides. The webhook path has its own end-to-end tests.
    sandbox = await startSandbox({ processingDelayMs: 100, callbackUrl: 'http://127.0.0.1:9/unused' });
    caliza = new CalizaClient(calizaConfigFor(sandbox));
    temporal = await connectToDevServer();
    worker = await createVerificationWorker({
      connection: temporal.nativeConnection,
      taskQueue,
      activities: createActivities({ caliza }),
      workflowBundlePath: workflowBundle().codePath,
    });
    running = worker.run();
    verifications = new VerificationClient(temporal.client, { taskQueue });
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await temporal?.close();
    await sandbox?.close();
  });

  async function decide(verificationUrl: string, decision: 'approve' | 'reject'): Promise<void> {
    const page = await fetch(verificationUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form');
    const answer = await fetch(verificationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `decision=${decision}`,
    });
    expect(answer.ok).toBe(true);
  }

  it('approves an individual (KYC) through the hosted page', async () => {
    const beneficiary = await caliza.createBeneficiary(sampleIndividual('e2e-individual'));
    const started = await verifications.start(beneficiary.id, { polling: fastPolling });
    expect(started.status).toBe('PENDING');
    expect(started.verificationUrl).toMatch(new RegExp(`^${sandbox.url}/`));
    await decide(started.verificationUrl as string, 'approve');
    const result = await verifications.result(beneficiary.id);
    expect(result).toMatchObject({
      beneficiaryId: beneficiary.id,
      outcome: 'APPROVED',
      decidedBy: 'POLL',
      kind: 'KYC',
    });
    const description = await verifications.handle(beneficiary.id).describe();
    expect(description.typedSearchAttributes.get(verificationOutcomeKey)).toBe('APPROVED');
    expect((await caliza.getBeneficiary(beneficiary.id)).kycVerified).toBe(true);
  });

  it("fails a business (KYB) rejected through the hosted page, with the beneficiary's reason", async () => {
    const beneficiary = await caliza.createBeneficiary(sampleBusiness('e2e-business'));
    const started = await verifications.start(beneficiary.id, { polling: fastPolling });
    await decide(started.verificationUrl as string, 'reject');
    const result = await verifications.result(beneficiary.id);
    // Decided by polling, so no webhook message: the reason is the one GET /v1/beneficiaries/{id} gives.
    expect(result).toMatchObject({
      outcome: 'FAILED',
      reason: DEFAULT_FAILURE_REASON,
      decidedBy: 'POLL',
      kind: 'KYB',
      failureDetails: {
        beneficiaryStatus: 'FAILED',
        beneficiaryReason: DEFAULT_FAILURE_REASON,
        readFailure: null,
      },
    });
    const description = await verifications.handle(beneficiary.id).describe();
    expect(description.typedSearchAttributes.get(verificationKindKey)).toBe('KYB');
  });

  it('fails the run with Caliza’s code for a beneficiary Caliza does not know', async () => {
    await expect(verifications.start('0123456789abcdef01234567')).rejects.toThrow();
    const error = await verifications.result('0123456789abcdef01234567').catch((err: unknown) => err);
    expect(JSON.stringify((error as { cause?: { type?: string } }).cause?.type)).toContain(
      'beneficiary.not_found',
    );
  });

  describe('the starter command line', () => {
    const starter = (args: string[]) =>
      run(
        process.execPath,
        [path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/starter.ts', ...args],
        {
          cwd: PROJECT_ROOT,
          env: {
            ...process.env,
            TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
            TEMPORAL_TASK_QUEUE: taskQueue,
          },
        },
      );

    it('prints one JSON object with the verification URL, and the result with --wait', async () => {
      const beneficiary = await caliza.createBeneficiary(sampleIndividual('e2e-starter'));
      const { stdout } = await starter([beneficiary.id]);
      const printed = JSON.parse(stdout) as Record<string, unknown>;
      expect(printed).toMatchObject({ workflowId: `kyc-beneficiary-${beneficiary.id}`, status: 'PENDING' });
      expect(typeof printed.runId).toBe('string');
      await decide(printed.verificationUrl as string, 'approve');
      // Stand in for the webhook (this suite has no receiver) once the session is decided.
      while ((await caliza.getVerification(beneficiary.id)).status !== 'SUCCEEDED') {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await verifications.deliverEvent({
        operation: 'BENEFICIARY_APPROVED',
        beneficiaryId: beneficiary.id,
        createdAt: new Date().toISOString(),
        success: true,
        message: null,
      });
      // The second call joins the same verification and waits for its result.
      const waited = JSON.parse((await starter([beneficiary.id, '--wait'])).stdout) as Record<
        string,
        unknown
      >;
      expect(waited).toMatchObject({ runId: printed.runId, result: { outcome: 'APPROVED' } });
    });

    it("prints Caliza's code and message in one line and exits non-zero for a beneficiary Caliza does not know", async () => {
      const failure = await starter(['fedcba9876543210fedcba98']).catch(
        (err: { code: number; stderr: string }) => err,
      );
      expect((failure as { code: number }).code).toBe(1);
      const stderr = (failure as { stderr: string }).stderr.trim();
      expect(stderr.split('\n')).toHaveLength(1);
      expect(stderr).toMatch(
        /^error: Workflow Update failed: .*beneficiary\.not_found.*Beneficiary not found/,
      );
    });

    it('prints its usage on --help and exits 0', async () => {
      const { stdout } = await starter(['--help']);
      expect(stdout).toMatch(/^usage: npm run starter -- <beneficiaryId>/);
      expect(stdout).toContain('--reverify');
    });

    it('exits non-zero with a one-line error on bad input', async () => {
      const failure = await starter(['--bogus']).catch((err: { code: number; stderr: string }) => err);
      expect((failure as { code: number }).code).toBe(1);
      const stderr = (failure as { stderr: string }).stderr.trim();
      expect(stderr.split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^error: .*usage: npm run starter/);
    });
  });
});
