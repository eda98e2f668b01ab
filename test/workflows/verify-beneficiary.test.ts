import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { VerificationClient } from '../../src/client';
import { verificationOutcomeKey, verificationStatusKey } from '../../src/search-attributes';
import { ScriptedCaliza } from '../support/scripted-activities';
import { runHistoryLengths } from '../support/history';
import { approvedEvent, failedEvent } from '../support/events';
import { createTimeSkippingEnv, withVerificationWorker } from '../support/temporal';

const approved = approvedEvent;
const failed = failedEvent;
/** The failure details of a FAILED beneficiary read with this reason. */
const detailsRead = (reason: string) => ({
  beneficiaryStatus: 'FAILED',
  beneficiaryReason: reason,
  readFailure: null,
});

describe('verifyBeneficiary on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  const withWorker = <T>(caliza: ScriptedCaliza, body: (client: VerificationClient) => Promise<T>) =>
    withVerificationWorker(env.nativeConnection, env.client, caliza.activities, body);

  it('returns the verification URL in one round trip and approves on a confirmed webhook', async () => {
    const caliza = new ScriptedCaliza().script('b-approve', 'SUCCEEDED');
    await withWorker(caliza, async (client) => {
      const started = await client.start('b-approve');
      expect(started).toMatchObject({
        workflowId: 'kyc-beneficiary-b-approve',
        verificationUrl: 'https://verify.example/b-approve',
        status: 'PENDING',
      });
      await client.handle('b-approve').signal('verificationEvent', approved('b-approve'));
      const result = await client.result('b-approve');
      expect(result).toMatchObject({
        beneficiaryId: 'b-approve',
        outcome: 'APPROVED',
        reason: null,
        decidedBy: 'WEBHOOK',
        sessionId: 'session-b-approve',
        kind: 'KYC',
      });
      expect(Number.isNaN(Date.parse(result.decidedAt))).toBe(false);
      expect(caliza.count('create')).toBe(1);
      expect(caliza.count('read')).toBe(1);
      const description = await client.handle('b-approve').describe();
      expect(description.typedSearchAttributes.get(verificationOutcomeKey)).toBe('APPROVED');
      expect(description.typedSearchAttributes.get(verificationStatusKey)).toBe('SUCCEEDED');
    });
  });

  it('fails with the reason Caliza gave on a confirmed BENEFICIARY_FAILED webhook, KYB for a business', async () => {
    const caliza = new ScriptedCaliza().script('biz-fail', 'FAILED');
    caliza.rejectionReasons.set('biz-fail', 'Registration number not found');
    await withWorker(caliza, async (client) => {
      await client.start('biz-fail');
      await client.handle('biz-fail').signal('verificationEvent', failed('biz-fail'));
      expect(await client.result('biz-fail')).toMatchObject({
        outcome: 'FAILED',
        reason: 'Document expired',
        decidedBy: 'WEBHOOK',
        kind: 'KYB',
        failureDetails: detailsRead('Registration number not found'),
      });
      expect(caliza.count('beneficiary')).toBe(1);
    });
  });

  it("gives a rejection decided by polling the beneficiary's reason instead of VERIFICATION_FAILED", async () => {
    const caliza = new ScriptedCaliza().script('b-poll-fail', 'PENDING', 'FAILED');
    caliza.rejectionReasons.set('b-poll-fail', 'Selfie does not match the document');
    await withWorker(caliza, async (client) => {
      await client.start('b-poll-fail');
      const result = await client.result('b-poll-fail');
      expect(result).toMatchObject({
        outcome: 'FAILED',
        reason: 'Selfie does not match the document',
        decidedBy: 'POLL',
        failureDetails: detailsRead('Selfie does not match the document'),
      });
      expect((await client.getState('b-poll-fail')).outcome).toEqual(result);
    });
  });

  it('keeps the FAILED outcome, saying the details could not be read, when the beneficiary read fails', async () => {
    const caliza = new ScriptedCaliza().script('b-no-details', 'FAILED');
    caliza.beneficiaryReadsFailing.add('b-no-details');
    await withWorker(caliza, async (client) => {
      await client.start('b-no-details');
      const result = await client.result('b-no-details');
      expect(result).toMatchObject({
        outcome: 'FAILED',
        reason: 'VERIFICATION_FAILED',
        decidedBy: 'POLL',
        failureDetails: {
          beneficiaryStatus: null,
          beneficiaryReason: null,
          readFailure: expect.stringMatching(
            /^the beneficiary's details could not be read \(CalizaUnavailable: .*503\)$/,
          ),
        },
      });
      // Two bounded attempts, then the run completes (not Failed).
      expect(caliza.count('beneficiary')).toBe(2);
      const description = await client.handle('b-no-details').describe();
      expect(description.status.name).toBe('COMPLETED');
      expect(description.typedSearchAttributes.get(verificationOutcomeKey)).toBe('FAILED');
    });
  });

  it('approves by polling when the webhook is lost, backing off between polls', async () => {
    const caliza = new ScriptedCaliza().script('b-lost', 'PENDING', 'PENDING', 'SUCCEEDED');
    await withWorker(caliza, async (client) => {
      await client.start('b-lost');
      const result = await client.result('b-lost');
      expect(result).toMatchObject({ outcome: 'APPROVED', decidedBy: 'POLL' });
      const state = await client.getState('b-lost');
      expect(state.polls).toBe(3);
      // First poll after 1 min, then 2 min, then 4 min.
      const started = Date.parse(state.deadlineAt) - 30 * 24 * 3600_000;
      expect(Date.parse(result.decidedAt) - started).toBeGreaterThanOrEqual(7 * 60_000);
      expect(Date.parse(result.decidedAt) - started).toBeLessThan(8 * 60_000);
    });
  });

  it('keeps waiting while the session is PROCESSING, then approves', async () => {
    const caliza = new ScriptedCaliza().script('b-processing', 'PROCESSING', 'PROCESSING', 'SUCCEEDED');
    await withWorker(caliza, async (client) => {
      await client.start('b-processing');
      await env.sleep('70s');
      const state = await client.getState('b-processing');
      expect(state).toMatchObject({ status: 'PROCESSING', polls: 1, outcome: null, verificationUrl: null });
      expect(await client.result('b-processing')).toMatchObject({ outcome: 'APPROVED', decidedBy: 'POLL' });
    });
  });

  it('expires after the 30-day deadline, continuing as new with every run under 1,000 events', async () => {
    const caliza = new ScriptedCaliza().script('b-expire', 'PENDING');
    await withWorker(caliza, async (client) => {
      await client.start('b-expire');
      const result = await client.result('b-expire');
      expect(result).toMatchObject({ outcome: 'FAILED', reason: 'EXPIRED', decidedBy: 'DEADLINE' });
      // An expiry is not Caliza's decision: the beneficiary has no reason to give.
      expect(result).not.toHaveProperty('failureDetails');
      expect(caliza.count('beneficiary')).toBe(0);
      const state = await client.getState('b-expire');
      expect(state.runsContinued).toBeGreaterThan(0);
      // The default schedule by session age: 116 polls over 30 days (test/workflows/verification-machine).
      expect(state.polls).toBe(116);
      const description = await client.handle('b-expire').describe();
      expect(description.typedSearchAttributes.get(verificationOutcomeKey)).toBe('EXPIRED');
      const lengths = await runHistoryLengths(client.client, 'kyc-beneficiary-b-expire');
      expect(lengths.length).toBe(state.runsContinued + 1);
      for (const length of lengths) expect(length).toBeLessThan(1_000);
    });
  }, 180_000);

  it('takes one outcome from duplicate and conflicting events, and ignores other beneficiaries', async () => {
    const caliza = new ScriptedCaliza().script('b-dup', 'SUCCEEDED');
    await withWorker(caliza, async (client) => {
      await client.start('b-dup');
      const handle = client.handle('b-dup');
      await handle.signal('verificationEvent', approved('b-dup'));
      await handle.signal('verificationEvent', approved('b-dup'));
      await handle.signal('verificationEvent', approved('someone-else'));
      await handle.signal('verificationEvent', failed('b-dup'));
      expect(await client.result('b-dup')).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
      const state = await client.getState('b-dup');
      expect(state.duplicateEvents).toBe(1);
      expect(state.ignoredEvents).toBeGreaterThanOrEqual(1);
      // A late event neither changes the outcome nor starts a new run.
      const runId = (await handle.describe()).runId;
      expect(await client.deliverEvent(failed('b-dup'))).toBe('ALREADY_ENDED');
      expect((await handle.describe()).runId).toBe(runId);
      expect(await client.result('b-dup')).toMatchObject({ outcome: 'APPROVED' });
    });
  });

  it('keeps an event that arrives before the session exists', async () => {
    const caliza = new ScriptedCaliza().script('b-early', 'SUCCEEDED');
    caliza.createDelayMs = 1_500;
    await withWorker(caliza, async (client) => {
      const handle = await env.client.workflow.start('verifyBeneficiary', {
        workflowId: 'kyc-beneficiary-b-early',
        taskQueue: client.taskQueue,
        args: [{ beneficiaryId: 'b-early' }],
      });
      await handle.signal('verificationEvent', approved('b-early'));
      expect(await handle.result()).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
      expect(caliza.calls.map((c) => c.name)).toEqual(['create', 'read']);
    });
  });

  it('carries the whole state across continue-as-new and still answers queries', async () => {
    const caliza = new ScriptedCaliza().script('b-can', 'PENDING');
    await withWorker(caliza, async (client) => {
      await client.start('b-can', { maxHistoryEventsPerRun: 20 });
      const before = await client.getState('b-can');
      const handle = client.handle('b-can');
      await handle.signal('verificationEvent', approved('b-can', 'first'));
      await env.sleep('40m');
      const after = await client.getState('b-can');
      expect(after.runsContinued).toBeGreaterThan(0);
      expect(after.deadlineAt).toBe(before.deadlineAt);
      expect(after.sessionId).toBe(before.sessionId);
      expect(after.polls).toBeGreaterThanOrEqual(4);
      expect(after.lastEvent).toMatchObject({
        operation: 'BENEFICIARY_APPROVED',
        createdAt: 'first',
        confirmed: false,
      });
      // The seen-event keys crossed the run boundary: the same delivery again is a duplicate.
      await handle.signal('verificationEvent', approved('b-can', 'first'));
      caliza.script('b-can', 'SUCCEEDED');
      await handle.signal('verificationEvent', approved('b-can', 'second'));
      expect(await client.result('b-can')).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
      expect((await client.getState('b-can')).duplicateEvents).toBe(1);
    });
  });

  it('ends cleanly as Cancelled when cancelled, and says so in its search attributes', async () => {
    const caliza = new ScriptedCaliza().script('b-cancel', 'PENDING');
    await withWorker(caliza, async (client) => {
      await client.start('b-cancel');
      await client.cancel('b-cancel');
      const error = await client.result('b-cancel').catch((err: unknown) => err);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      const description = await client.handle('b-cancel').describe();
      expect(description.status.name).toBe('CANCELLED');
      expect(description.typedSearchAttributes.get(verificationOutcomeKey)).toBe('CANCELLED');
      // A cancelled verification can be started afresh.
      const again = await client.start('b-cancel');
      expect(again.runId).not.toBe(description.runId);
      await cancelAndWait(client, 'b-cancel');
    });
  });

  it('returns the running verification on a second start and never creates a second session', async () => {
    const caliza = new ScriptedCaliza().script('b-twice', 'PENDING');
    await withWorker(caliza, async (client) => {
      const [first, second] = await Promise.all([client.start('b-twice'), client.start('b-twice')]);
      expect(second.runId).toBe(first.runId);
      expect(second.verificationUrl).toBe(first.verificationUrl);
      expect(caliza.count('create')).toBe(1);
      await cancelAndWait(client, 'b-twice');
    });
  });

  it('returns an APPROVED result instead of starting again; re-verifies a FAILED one only when asked', async () => {
    const caliza = new ScriptedCaliza().script('b-again', 'SUCCEEDED').script('b-retry', 'FAILED');
    await withWorker(caliza, async (client) => {
      await client.start('b-again');
      await client.result('b-again');
      const again = await client.start('b-again', { reverify: true });
      expect(again).toMatchObject({
        status: 'SUCCEEDED',
        verificationUrl: null,
        result: { outcome: 'APPROVED' },
      });
      expect(caliza.count('create', 'b-again')).toBe(1);

      const first = await client.start('b-retry');
      await client.result('b-retry');
      const repeat = await client.start('b-retry');
      expect(repeat).toMatchObject({ runId: first.runId, status: 'FAILED', result: { outcome: 'FAILED' } });
      caliza.script('b-retry', 'PENDING');
      const reverified = await client.start('b-retry', { reverify: true });
      expect(reverified.runId).not.toBe(first.runId);
      expect(reverified.result).toBeUndefined();
      expect(caliza.count('create', 'b-retry')).toBe(2);
      await cancelAndWait(client, 'b-retry');
    });
  });

  it('fails the run and the start call with Caliza’s code when Caliza refuses the session', async () => {
    const caliza = new ScriptedCaliza();
    caliza.activities.createVerificationSession = async () => {
      throw ApplicationFailure.nonRetryable(
        'POST /v1/beneficiaries/x/verification: 404',
        'beneficiary.not_found',
      );
    };
    await withWorker(caliza, async (client) => {
      const error = await client.start('b-unknown').catch((err: unknown) => err);
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(
        'beneficiary.not_found',
      );
      const outcome = await client.result('b-unknown').catch((err: unknown) => err);
      expect(((outcome as WorkflowFailedError).cause as ApplicationFailure).type).toBe(
        'beneficiary.not_found',
      );
    });
  });

  it('refuses an id Caliza could never be asked about, before any run or call', async () => {
    const caliza = new ScriptedCaliza();
    await withWorker(caliza, async (client) => {
      await expect(client.start('..')).rejects.toThrow('beneficiaryId must not be "." or ".."');
      // A run started by hand with such an id fails at once, without retrying and without a call.
      const handle = await env.client.workflow.start('verifyBeneficiary', {
        workflowId: 'kyc-beneficiary-dot',
        taskQueue: client.taskQueue,
        args: [{ beneficiaryId: '.' }],
      });
      const error = await handle.result().catch((err: unknown) => err);
      expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('InvalidInput');
      expect(caliza.calls).toEqual([]);
    });
  });

  it('extends the deadline through a validated update', async () => {
    const caliza = new ScriptedCaliza().script('b-extend', 'PENDING');
    await withWorker(caliza, async (client) => {
      await client.start('b-extend', { deadlineMs: 10 * 60_000 });
      const { deadlineAt } = await client.getState('b-extend');
      await expect(client.extendDeadline('b-extend', new Date(Date.parse(deadlineAt) - 1))).rejects.toThrow(
        WorkflowUpdateFailedError,
      );
      const later = new Date(Date.parse(deadlineAt) + 60 * 60_000);
      expect(await client.extendDeadline('b-extend', later)).toEqual({ deadlineAt: later.toISOString() });
      const result = await client.result('b-extend');
      expect(result).toMatchObject({ outcome: 'FAILED', reason: 'EXPIRED' });
      expect(Date.parse(result.decidedAt)).toBeGreaterThanOrEqual(later.getTime());
      expect(Date.parse(result.decidedAt)).toBeLessThan(later.getTime() + 60_000);
    });
  });

  it('records the outcome of an event for a beneficiary with no verification, without creating a session', async () => {
    const caliza = new ScriptedCaliza().seed('b-record', 'SUCCEEDED');
    await withWorker(caliza, async (client) => {
      expect(await client.deliverEvent(approved('b-record'))).toBe('ACCEPTED');
      expect(await client.result('b-record')).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
      expect(caliza.count('create')).toBe(0);
      expect(caliza.count('read')).toBe(1);
    });
  });

  it('ends an event for a beneficiary never verified here NOT_VERIFIED_HERE, completed, and verifies on a start', async () => {
    const caliza = new ScriptedCaliza().script('b-stranger', 'PENDING');
    await withWorker(caliza, async (client) => {
      expect(await client.deliverEvent(failed('b-stranger'))).toBe('ACCEPTED');
      expect(await client.result('b-stranger')).toMatchObject({
        outcome: 'NOT_VERIFIED_HERE',
        reason: 'verification.not_found',
        sessionId: null,
      });
      const description = await client.handle('b-stranger').describe();
      expect(description.status.name).toBe('COMPLETED');
      expect(description.typedSearchAttributes.get(verificationOutcomeKey)).toBe('NOT_VERIFIED_HERE');
      expect(caliza.count('beneficiary')).toBe(0);
      // Nothing was verified: a start opens a session rather than answering with that outcome.
      const started = await client.start('b-stranger');
      expect(started).toMatchObject({
        status: 'PENDING',
        verificationUrl: 'https://verify.example/b-stranger',
      });
      expect(started.runId).not.toBe(description.runId);
      await cancelAndWait(client, 'b-stranger');
    });
  });
});

/** Cancels and waits for the run to end, so no unfinished work blocks time skipping for later tests. */
async function cancelAndWait(client: VerificationClient, beneficiaryId: string): Promise<void> {
  await client.cancel(beneficiaryId);
  await expect(client.result(beneficiaryId)).rejects.toThrow(WorkflowFailedError);
}
