/**
 * Records one workflow history per verification path on the time-skipping test server, with scripted
 * Caliza answers, into test/replay/histories/. The replay test then checks that the current workflow code
 * still makes the same decisions on every one. Re-record only on purpose (docs/versioning.md):
 *
 *   npm run record-histories                                # every path
 *   npm run record-histories -- approved-by-poll             # only the named paths
 *   npm run record-histories -- --keep-as before-<patch-id>  # first move the current recordings into
 *                                                            # histories/before-<patch-id>/, still replayed
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Client, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { VerificationClient } from '../src/client';
import { bundleVerificationWorkflows } from '../dev/workflow-bundle';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  type CallFailureHint,
  type VerificationActivities,
  WORKFLOW_TYPE,
  verificationEventSignal,
  workflowIdFor,
} from '../src/contracts';
import { beneficiaryIdKey } from '../src/search-attributes';
import {
  HISTORIES_DIR,
  RECORDED_PATHS,
  historyFileName,
  parseHistoryFileName,
} from '../test/replay/recorded-paths';
import { approvedEvent, failedEvent } from '../test/support/events';
import { ScriptedCaliza } from '../test/support/scripted-activities';
import { createTimeSkippingEnv, uniqueTaskQueue } from '../test/support/temporal';

const MINUTE = 60_000;
/** Short deadlines keep every recording to a few polls. */
const SHORT = { deadlineMs: 10 * MINUTE };

const approved = approvedEvent;
const failed = failedEvent;

interface Recorder {
  /** Beneficiary id; the workflow id follows from it. */
  beneficiaryId: string;
  run(client: VerificationClient, caliza: ScriptedCaliza, env: TestWorkflowEnvironment): Promise<void>;
}

async function expectRejection(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
): Promise<void> {
  const outcome = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(outcome instanceof type)) throw new Error(`expected ${type.name}, got ${String(outcome)}`);
}

function expectEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

const REFUSED = 'rec-refused';
/** Beneficiaries whose Caliza calls fail (503) until their recorder brings Caliza back. */
const calizaDown = new Set<string>();

function unavailable(what: string): ApplicationFailure {
  const hint: CallFailureHint = { kind: 'TRANSIENT', retryAfterMs: null };
  // Non-retryable so the local retries end at once; TRANSIENT, so the workflow backs off on its own.
  return ApplicationFailure.create({
    message: `${what}: 503`,
    type: 'CalizaUnavailable',
    nonRetryable: true,
    details: [{ ...hint, status: 503 }],
  });
}

const recorders: Record<string, Recorder> = {
  'approved-by-webhook': {
    beneficiaryId: 'rec-approve-webhook',
    async run(client, caliza) {
      caliza.script(this.beneficiaryId, 'SUCCEEDED');
      await client.start(this.beneficiaryId, SHORT);
      await client.handle(this.beneficiaryId).signal(verificationEventSignal, approved(this.beneficiaryId));
      expectEqual((await client.result(this.beneficiaryId)).decidedBy, 'WEBHOOK', 'decided by');
    },
  },
  'approved-by-poll': {
    beneficiaryId: 'rec-approve-poll',
    async run(client, caliza) {
      caliza.script(this.beneficiaryId, 'PENDING', 'SUCCEEDED');
      await client.start(this.beneficiaryId, SHORT);
      expectEqual((await client.result(this.beneficiaryId)).decidedBy, 'POLL', 'decided by');
    },
  },
  'failed-by-webhook': {
    beneficiaryId: 'biz-rec-fail-webhook',
    async run(client, caliza) {
      caliza.script(this.beneficiaryId, 'FAILED');
      caliza.rejectionReasons.set(this.beneficiaryId, 'Registration number not found');
      await client.start(this.beneficiaryId, SHORT);
      await client.handle(this.beneficiaryId).signal(verificationEventSignal, failed(this.beneficiaryId));
      const result = await client.result(this.beneficiaryId);
      expectEqual(result.reason, 'Document expired', 'reason');
      expectEqual(result.failureDetails?.beneficiaryReason, 'Registration number not found', 'details');
    },
  },
  'failed-by-poll': {
    beneficiaryId: 'rec-fail-poll',
    async run(client, caliza) {
      caliza.script(this.beneficiaryId, 'PENDING', 'FAILED');
      caliza.rejectionReasons.set(this.beneficiaryId, 'Selfie does not match the document');
      await client.start(this.beneficiaryId, SHORT);
      const result = await client.result(this.beneficiaryId);
      expectEqual(result.decidedBy, 'POLL', 'decided by');
      expectEqual(result.reason, 'Selfie does not match the document', 'reason');
    },
  },
  'failure-details-unreadable': {
    beneficiaryId: 'rec-fail-no-details',
    async run(client, caliza) {
      caliza.script(this.beneficiaryId, 'FAILED');
      caliza.beneficiaryReadsFailing.add(this.beneficiaryId);
      await client.start(this.beneficiaryId, SHORT);
      const result = await client.result(this.beneficiaryId);
      expectEqual(result.reason, 'VERIFICATION_FAILED', 'reason');
      expectEqual(result.failureDetails?.beneficiaryStatus, null, 'beneficiary status');
    },
  },
  expired: {
    beneficiaryId: 'rec-expire',
    async run(client, caliza) {
      caliza.script(this.beneficiaryId, 'PENDING');
      await client.start(this.beneficiaryId, { deadlineMs: 5 * MINUTE });
      expectEqual((await client.result(this.beneficiaryId)).reason, 'EXPIRED', 'reason');
    },
  },
  'pending-past-a-day': {
    beneficiaryId: 'rec-pending-day',
    async run(client, caliza) {
      // The default polling schedule past the first day, where spacing polls by age spaces them further.
      caliza.script(this.beneficiaryId, 'PENDING');
      await client.start(this.beneficiaryId, { deadlineMs: 26 * 60 * MINUTE });
      expectEqual((await client.result(this.beneficiaryId)).reason, 'EXPIRED', 'reason');
    },
  },
  'duplicate-and-conflicting-events': {
    beneficiaryId: 'rec-duplicates',
    async run(client, caliza) {
      caliza.script(this.beneficiaryId, 'SUCCEEDED');
      await client.start(this.beneficiaryId, SHORT);
      const handle = client.handle(this.beneficiaryId);
      await handle.signal(verificationEventSignal, approved(this.beneficiaryId));
      await handle.signal(verificationEventSignal, approved(this.beneficiaryId));
      await handle.signal(verificationEventSignal, approved('someone-else'));
      await handle.signal(verificationEventSignal, failed(this.beneficiaryId));
      expectEqual((await client.result(this.beneficiaryId)).outcome, 'APPROVED', 'outcome');
      expectEqual(await client.deliverEvent(failed(this.beneficiaryId)), 'ALREADY_ENDED', 'late delivery');
    },
  },
  'continue-as-new': {
    beneficiaryId: 'rec-continue',
    async run(client, caliza) {
      caliza.script(this.beneficiaryId, 'PENDING');
      await client.start(this.beneficiaryId, { deadlineMs: 30 * MINUTE, maxHistoryEventsPerRun: 20 });
      // Crosses into a later run in the carried state.
      await client.handle(this.beneficiaryId).signal(verificationEventSignal, approved(this.beneficiaryId));
      const result = await client.result(this.beneficiaryId);
      expectEqual(result.reason, 'EXPIRED', 'reason');
    },
  },
  cancelled: {
    beneficiaryId: 'rec-cancel',
    async run(client, caliza) {
      caliza.script(this.beneficiaryId, 'PENDING');
      await client.start(this.beneficiaryId, SHORT);
      await client.cancel(this.beneficiaryId);
      await expectRejection(client.result(this.beneficiaryId), WorkflowFailedError);
    },
  },
  'event-before-session': {
    beneficiaryId: 'rec-early-event',
    async run(client, caliza) {
      caliza.script(this.beneficiaryId, 'SUCCEEDED');
      // Signal-with-start delivers the event in the first workflow task, before the session is created.
      await client.client.workflow.signalWithStart(WORKFLOW_TYPE, {
        workflowId: workflowIdFor(this.beneficiaryId),
        taskQueue: client.taskQueue,
        args: [{ beneficiaryId: this.beneficiaryId, ...SHORT }],
        typedSearchAttributes: [{ key: beneficiaryIdKey, value: this.beneficiaryId }],
        signal: verificationEventSignal,
        signalArgs: [approved(this.beneficiaryId)],
      });
      expectEqual((await client.result(this.beneficiaryId)).decidedBy, 'WEBHOOK', 'decided by');
      expectEqual(caliza.calls.map((c) => c.name).join(','), 'create,read', 'Caliza calls');
    },
  },
  'record-outcome': {
    beneficiaryId: 'rec-record-outcome',
    async run(client, caliza) {
      caliza.seed(this.beneficiaryId, 'SUCCEEDED');
      expectEqual(await client.deliverEvent(approved(this.beneficiaryId)), 'ACCEPTED', 'delivery');
      expectEqual((await client.result(this.beneficiaryId)).outcome, 'APPROVED', 'outcome');
      expectEqual(caliza.count('create'), 0, 'sessions created');
    },
  },
  'record-outcome-not-verified-here': {
    beneficiaryId: 'rec-not-verified-here',
    async run(client, caliza) {
      // No session at Caliza: the recording run's read is answered 404 verification.not_found.
      expectEqual(await client.deliverEvent(failed(this.beneficiaryId)), 'ACCEPTED', 'delivery');
      expectEqual((await client.result(this.beneficiaryId)).outcome, 'NOT_VERIFIED_HERE', 'outcome');
      expectEqual(caliza.count('create'), 0, 'sessions created');
    },
  },
  'deadline-extended': {
    beneficiaryId: 'rec-extend',
    async run(client, caliza) {
      caliza.script(this.beneficiaryId, 'PENDING');
      await client.start(this.beneficiaryId, {
        deadlineMs: 5 * MINUTE,
        polling: { initialIntervalMs: 10 * MINUTE, maxIntervalMs: 60 * MINUTE },
      });
      const { deadlineAt } = await client.getState(this.beneficiaryId);
      const later = new Date(Date.parse(deadlineAt) + 10 * MINUTE);
      await client.extendDeadline(this.beneficiaryId, later);
      const result = await client.result(this.beneficiaryId);
      expectEqual(result.reason, 'EXPIRED', 'reason');
      if (Date.parse(result.decidedAt) < later.getTime()) throw new Error('expired before the new deadline');
    },
  },
  'outage-with-event-waiting': {
    beneficiaryId: 'rec-outage-event',
    async run(client, caliza, env) {
      caliza.seed(this.beneficiaryId, 'SUCCEEDED');
      calizaDown.add(this.beneficiaryId);
      // A recording run whose confirming read fails through several back-offs (the wait must not spin).
      expectEqual(await client.deliverEvent(approved(this.beneficiaryId)), 'ACCEPTED', 'delivery');
      await env.sleep('2h');
      calizaDown.delete(this.beneficiaryId);
      expectEqual((await client.result(this.beneficiaryId)).decidedBy, 'WEBHOOK', 'decided by');
    },
  },
  'start-across-continue-as-new': {
    beneficiaryId: 'rec-outage-start',
    async run(client, caliza, env) {
      caliza.script(this.beneficiaryId, 'PENDING', 'SUCCEEDED');
      calizaDown.add(this.beneficiaryId);
      // The create fails until the run continues as new; the waiting start is told to ask again.
      const waiting = client
        .start(this.beneficiaryId, { ...SHORT, deadlineMs: 24 * 60 * MINUTE, maxHistoryEventsPerRun: 20 })
        .catch((err: unknown) => process.stdout.write(`start: ${String(err)}\n`));
      // The start is one request that returns only with the update's answer: wait until the run exists.
      await waitUntilStarted(client, this.beneficiaryId);
      await env.sleep('3h');
      calizaDown.delete(this.beneficiaryId);
      void waiting;
      expectEqual((await client.result(this.beneficiaryId)).decidedBy, 'POLL', 'decided by');
      expectEqual(caliza.count('create'), 1, 'sessions created');
    },
  },
  'caliza-refused': {
    beneficiaryId: REFUSED,
    async run(client) {
      await expectRejection(client.start(this.beneficiaryId, SHORT), WorkflowUpdateFailedError);
      await expectRejection(client.result(this.beneficiaryId), WorkflowFailedError);
    },
  },
};

async function waitUntilStarted(client: VerificationClient, beneficiaryId: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const started = await client
      .handle(beneficiaryId)
      .describe()
      .then(
        () => true,
        () => false,
      );
    if (started) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${beneficiaryId}: the run did not start`);
}

/** Every run of a workflow, oldest first, following continue-as-new links back from the latest. */
async function runIdsOf(client: Client, workflowId: string): Promise<string[]> {
  const runIds: string[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    runIds.unshift(runId);
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runId =
      history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runIds;
}

function activitiesFor(caliza: ScriptedCaliza): VerificationActivities {
  return {
    createVerificationSession: async (beneficiaryId) => {
      if (beneficiaryId === REFUSED) {
        throw ApplicationFailure.nonRetryable(
          `POST /v1/beneficiaries/${beneficiaryId}/verification: 404`,
          'beneficiary.not_found',
        );
      }
      if (calizaDown.has(beneficiaryId))
        throw unavailable(`POST /v1/beneficiaries/${beneficiaryId}/verification`);
      return caliza.activities.createVerificationSession(beneficiaryId);
    },
    readVerificationSession: async (beneficiaryId) => {
      if (calizaDown.has(beneficiaryId))
        throw unavailable(`GET /v1/beneficiaries/${beneficiaryId}/verification`);
      return caliza.activities.readVerificationSession(beneficiaryId);
    },
    readBeneficiaryStatus: async (beneficiaryId) => {
      if (calizaDown.has(beneficiaryId)) throw unavailable(`GET /v1/beneficiaries/${beneficiaryId}`);
      return caliza.activities.readBeneficiaryStatus(beneficiaryId);
    },
  };
}

function parseArguments(args: string[]): { requested: string[]; keepAs: string | null } {
  const keepAt = args.indexOf('--keep-as');
  const keepAs = keepAt >= 0 ? (args[keepAt + 1] ?? '') : null;
  if (keepAs !== null && !/^[a-z0-9][a-z0-9._-]*$/.test(keepAs)) {
    throw new Error('--keep-as needs a folder name (lower-case letters, digits, ".", "_", "-")');
  }
  const requested = args.filter((_, index) => keepAt < 0 || (index !== keepAt && index !== keepAt + 1));
  const unknown = requested.filter((name) => !RECORDED_PATHS.some((p) => p.name === name));
  if (unknown.length > 0) throw new Error(`unknown path(s): ${unknown.join(', ')}`);
  return { requested, keepAs };
}

async function main(): Promise<void> {
  const { requested, keepAs } = parseArguments(process.argv.slice(2));
  const selected = RECORDED_PATHS.filter((p) => requested.length === 0 || requested.includes(p.name));

  const code = await bundleVerificationWorkflows();
  // Written only once every path has been recorded, so a failed run leaves the recordings as they were.
  const recordings: { file: string; json: string }[] = [];
  const env = await createTimeSkippingEnv();
  try {
    for (const recordedPath of selected) {
      const recorder = recorders[recordedPath.name];
      if (!recorder) throw new Error(`no recorder for ${recordedPath.name}`);
      // A worker per path: Caliza's script and call counts start empty, and nothing carries over.
      const caliza = new ScriptedCaliza();
      const taskQueue = uniqueTaskQueue('record');
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: { code },
        activities: activitiesFor(caliza),
      });
      const client = new VerificationClient(env.client, { taskQueue });
      await worker.runUntil(recorder.run(client, caliza, env));

      const workflowId = workflowIdFor(recorder.beneficiaryId);
      const runIds = await runIdsOf(env.client, workflowId);
      if (recordedPath.continuesAsNew ? runIds.length < 2 : runIds.length !== 1) {
        throw new Error(`${recordedPath.name}: unexpected number of runs (${runIds.length})`);
      }
      for (const [index, runId] of runIds.entries()) {
        const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
        const file = historyFileName(recordedPath.name, recordedPath.continuesAsNew ? index + 1 : undefined);
        recordings.push({ file, json: `${historyToJSON(history)}\n` });
        process.stdout.write(`${file}: ${history.events?.length ?? 0} events\n`);
      }
    }
  } finally {
    await env.teardown();
  }

  mkdirSync(HISTORIES_DIR, { recursive: true });
  const keepDir = keepAs === null ? null : path.join(HISTORIES_DIR, keepAs);
  if (keepDir) mkdirSync(keepDir, { recursive: true });
  for (const file of readdirSync(HISTORIES_DIR)) {
    const parsed = parseHistoryFileName(file);
    if (!parsed || !selected.some((p) => p.name === parsed.pathName)) continue;
    if (keepDir) {
      if (existsSync(path.join(keepDir, file))) throw new Error(`${keepAs}/${file} already exists`);
      renameSync(path.join(HISTORIES_DIR, file), path.join(keepDir, file));
    } else {
      rmSync(path.join(HISTORIES_DIR, file));
    }
  }
  for (const { file, json } of recordings) writeFileSync(path.join(HISTORIES_DIR, file), json);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `recording failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
