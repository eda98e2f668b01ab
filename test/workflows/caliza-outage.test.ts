import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  type CallFailureHint,
  SESSION_UPDATE_RETRY_TYPE,
  WORKFLOW_TYPE,
  sessionUpdate,
  workflowIdFor,
} from '../../src/contracts';
import { VerificationClient } from '../../src/client';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { runHistoryLengths } from '../support/history';
import { ScriptedCaliza } from '../support/scripted-activities';
import { approvedEvent } from '../support/events';
import {
  connectToDevServer,
  createTestWorker,
  createTimeSkippingEnv,
  uniqueTaskQueue,
  withVerificationWorker,
} from '../support/temporal';

const approved = approvedEvent;

/**
 * What the activities throw while Caliza is down and asks for an hour's patience: non-retryable, so the
 * local retries end at once (no real seconds spent), but TRANSIENT, so the workflow backs off on its own.
 */
function outage(what: string): ApplicationFailure {
  const hint: CallFailureHint & { status: number } = { kind: 'TRANSIENT', retryAfterMs: null, status: 503 };
  return ApplicationFailure.create({
    message: `${what}: 503`,
    type: 'CalizaUnavailable',
    nonRetryable: true,
    details: [hint],
  });
}

/** Wraps the scripted activities so that every call fails while `down` is set; counts the failures. */
function failingWhileDown(caliza: ScriptedCaliza): { down: boolean; failures: number } {
  const switchboard = { down: true, failures: 0 };
  const { createVerificationSession, readVerificationSession } = caliza.activities;
  caliza.activities.createVerificationSession = async (id) => {
    if (switchboard.down) {
      switchboard.failures += 1;
      throw outage(`POST /v1/beneficiaries/${id}/verification`);
    }
    return createVerificationSession(id);
  };
  caliza.activities.readVerificationSession = async (id) => {
    if (switchboard.down) {
      switchboard.failures += 1;
      throw outage(`GET /v1/beneficiaries/${id}/verification`);
    }
    return readVerificationSession(id);
  };
  return switchboard;
}

/** Room above `maxHistoryEventsPerRun`: the check runs before each wait, and one call's events come first. */
const HISTORY_SLACK = 30;

describe('verifyBeneficiary through a long Caliza outage (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  const withWorker = <T>(caliza: ScriptedCaliza, body: (client: VerificationClient) => Promise<T>) =>
    withVerificationWorker(env.nativeConnection, env.client, caliza.activities, body);

  it('backs off with a webhook waiting for confirmation, without spinning, and approves on recovery', async () => {
    const caliza = new ScriptedCaliza().seed('b-outage-event', 'SUCCEEDED');
    const switchboard = failingWhileDown(caliza);
    await withWorker(caliza, async (client) => {
      // A recording run: its event waits for a read that keeps failing.
      expect(await client.deliverEvent(approved('b-outage-event'))).toBe('ACCEPTED');
      await env.sleep('12h');
      const during = await client.getState('b-outage-event');
      expect(during.outcome).toBeNull();
      expect(during.callFailures).toBeGreaterThan(5);
      expect(during.lastCallFailure).toMatchObject({ type: 'CalizaUnavailable', kind: 'TRANSIENT' });
      // 1, 2, 4, … 32 minutes, then hourly: about 17 calls in 12 hours, not one every few seconds.
      expect(switchboard.failures).toBeLessThanOrEqual(20);
      switchboard.down = false;
      expect(await client.result('b-outage-event')).toMatchObject({
        outcome: 'APPROVED',
        decidedBy: 'WEBHOOK',
      });
      for (const length of await runHistoryLengths(env.client, workflowIdFor('b-outage-event'))) {
        expect(length).toBeLessThanOrEqual(500 + HISTORY_SLACK);
      }
    });
  });

  it('continues as new under a flood of duplicate signals instead of growing past its history bound', async () => {
    const caliza = new ScriptedCaliza().script('b-flood', 'PENDING');
    await withWorker(caliza, async (client) => {
      const max = 60;
      await client.start('b-flood', { maxHistoryEventsPerRun: max });
      const handle = client.handle('b-flood');
      // A captured delivery replayed at about 50 a second. The server refuses to let a run continue as new
      // while signals keep arriving during that very workflow task (none may be lost), so what a run can
      // hold beyond its bound is what arrives in one task's time: a burst, here.
      const burst = 10;
      for (let sent = 0; sent < 300; sent += burst) {
        await Promise.all(
          Array.from({ length: burst }, () => handle.signal('verificationEvent', approved('b-flood'))),
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const state = await client.getState('b-flood');
      expect(state.duplicateEvents).toBe(299);
      expect(state.runsContinued).toBeGreaterThan(2);
      const lengths = await runHistoryLengths(env.client, workflowIdFor('b-flood'));
      for (const length of lengths) expect(length).toBeLessThanOrEqual(max + HISTORY_SLACK);
      await handle.cancel();
    });
  });
});

/**
 * On the dev server (the Java test server does not answer an update's result once its run has continued as
 * new): a short polling schedule stands in for the hours of back-off.
 */
describe('verifyBeneficiary through a long Caliza outage (dev server)', () => {
  let dev: Awaited<ReturnType<typeof connectToDevServer>>;
  beforeAll(async () => {
    dev = await connectToDevServer();
  });
  afterAll(async () => {
    await dev?.close();
  });

  it('continues as new while the create fails and a start waits, and that start is told to ask again', async () => {
    const caliza = new ScriptedCaliza();
    const switchboard = failingWhileDown(caliza);
    const taskQueue = uniqueTaskQueue();
    const worker = await createTestWorker(dev.nativeConnection, { taskQueue, activities: caliza.activities });
    const beneficiaryId = `b-outage-can-${taskQueue}`;
    caliza.script(beneficiaryId, 'PENDING', 'SUCCEEDED');
    const client = new VerificationClient(dev.client, { taskQueue });
    await worker.runUntil(async () => {
      const max = 20;
      const startOnce = () =>
        dev.client.workflow.executeUpdateWithStart(sessionUpdate, {
          startWorkflowOperation: new WithStartWorkflowOperation(WORKFLOW_TYPE, {
            workflowId: workflowIdFor(beneficiaryId),
            taskQueue,
            args: [
              {
                beneficiaryId,
                maxHistoryEventsPerRun: max,
                polling: { initialIntervalMs: 200, multiplier: 2, maxIntervalMs: 400 },
              },
            ],
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        });
      const first = await startOnce().catch((err: unknown) => err);
      expect(first).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(((first as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(
        SESSION_UPDATE_RETRY_TYPE,
      );
      const state = await client.getState(beneficiaryId);
      expect(state.runsContinued).toBeGreaterThan(0);
      expect(state.status).toBe('NOT_CREATED');
      expect(state.callFailures).toBeGreaterThan(0);
      switchboard.down = false;
      // The next run creates the session as soon as its back-off ends; asking again gets the URL.
      const session = await startOnce();
      expect(session).toEqual({
        verificationUrl: `https://verify.example/${beneficiaryId}`,
        status: 'PENDING',
      });
      expect(await client.result(beneficiaryId)).toMatchObject({ outcome: 'APPROVED', decidedBy: 'POLL' });
      expect(caliza.count('create')).toBe(1);
      for (const length of await runHistoryLengths(dev.client, workflowIdFor(beneficiaryId))) {
        expect(length).toBeLessThanOrEqual(max + HISTORY_SLACK);
      }
    });
  });
});
