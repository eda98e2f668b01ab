import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  type WorkflowClientInterceptor,
} from '@temporalio/client';
import { ApplicationFailure, defaultFailureConverter, defaultPayloadConverter } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { RUN_MODE_MEMO_KEY, VerificationClient } from '../../src/client/verification-client';
import { SESSION_UPDATE_RETRY_TYPE, WORKFLOW_TYPE, workflowIdFor } from '../../src/contracts';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { verificationOutcomeKey } from '../../src/search-attributes';
import { parseStarterArgs } from '../../src/starter';
import { ScriptedCaliza } from '../support/scripted-activities';
import { eventually } from '../webhooks/support';
import { approvedEvent as approved, failedEvent as failed } from '../support/events';
import { connectToDevServer, createTestWorker, uniqueTaskQueue } from '../support/temporal';

/** Every beneficiary of this file, so that no run is left running at the end. */
const used: string[] = [];
/** Beneficiary ids unique to this run: the dev server is shared by every test file. */
const newId = (label: string) => {
  const id = `vc-${label}-${randomUUID().slice(0, 8)}`;
  used.push(id);
  return id;
};
/** Polls soon, so that a failed call is tried again within seconds. */
const FAST_POLLING = { initialIntervalMs: 500, multiplier: 2, maxIntervalMs: 2_000 };

const run = promisify(execFile);

/** Settles like `promise`, or rejects after `ms`: a call that blocks fails the test instead of hanging it. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still blocked after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A failure as the `session` update would report it. */
function updateFailure(type: string) {
  return defaultFailureConverter.errorToFailure(
    ApplicationFailure.create({ message: `session update failed: ${type}`, type, nonRetryable: true }),
    defaultPayloadConverter,
  );
}

describe('VerificationClient (dev server)', () => {
  let temporal: Awaited<ReturnType<typeof connectToDevServer>>;
  let worker: Worker;
  let workerRun: Promise<void>;
  let taskQueue: string;
  let verification: VerificationClient;
  const caliza = new ScriptedCaliza();
  /** Beneficiaries whose session creation fails (Caliza answering 503) for now. */
  const calizaDown = new Set<string>();
  /** Refused creations, by beneficiary. */
  const refused = new Map<string, number>();
  const create = caliza.activities.createVerificationSession;
  caliza.activities.createVerificationSession = async (beneficiaryId) => {
    if (calizaDown.has(beneficiaryId)) {
      refused.set(beneficiaryId, (refused.get(beneficiaryId) ?? 0) + 1);
      throw ApplicationFailure.retryable('POST /verification: 503', 'CalizaUnavailable');
    }
    return create(beneficiaryId);
  };

  /** Ends a run this file left running; one that already ended is fine. */
  const terminate = (beneficiaryId: string) =>
    verification
      .handle(beneficiaryId)
      .terminate('test over')
      .catch(() => undefined);

  beforeAll(async () => {
    temporal = await connectToDevServer();
    taskQueue = uniqueTaskQueue('client');
    worker = await createTestWorker(temporal.nativeConnection, { taskQueue, activities: caliza.activities });
    workerRun = worker.run();
    verification = new VerificationClient(temporal.client, { taskQueue });
  });
  afterAll(async () => {
    calizaDown.clear();
    await Promise.all(used.map(terminate));
    worker?.shutdown();
    await workerRun;
    await temporal?.close();
  });

  /** A client whose Temporal calls go through `interceptor`, as a real one would. */
  const intercepted = (interceptor: WorkflowClientInterceptor) =>
    new VerificationClient(
      new Client({ connection: temporal.client.connection, interceptors: { workflow: [interceptor] } }),
      { taskQueue },
    );

  describe('start() within its timeout', () => {
    it('answers NOT_CREATED in time while the session cannot be created, and a later start() joins the same run', async () => {
      const id = newId('outage');
      calizaDown.add(id);
      const began = Date.now();
      const started = await within(
        verification.start(id, { timeoutMs: 2_000, polling: FAST_POLLING }),
        8_000,
        'start()',
      );
      const elapsedMs = Date.now() - began;
      expect(started).toEqual({
        workflowId: workflowIdFor(id),
        runId: expect.any(String),
        verificationUrl: null,
        status: 'NOT_CREATED',
      });
      expect(elapsedMs).toBeLessThan(2_000 + 500);
      const running = await verification.handle(id).describe();
      expect(running.status.name).toBe('RUNNING');
      expect(running.runId).toBe(started.runId);
      expect(refused.get(id)).toBeGreaterThanOrEqual(1);

      calizaDown.delete(id);
      const joined = await verification.start(id);
      expect(joined).toEqual({
        workflowId: workflowIdFor(id),
        runId: started.runId,
        verificationUrl: `https://verify.example/${id}`,
        status: 'PENDING',
      });
    });

    it('rejects with the reason as soon as the caller aborts, leaving the run alone', async () => {
      const id = newId('abort');
      calizaDown.add(id);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('caller gave up')), 300);
      const began = Date.now();
      await expect(
        within(verification.start(id, { signal: controller.signal }), 5_000, 'start()'),
      ).rejects.toThrow('caller gave up');
      expect(Date.now() - began).toBeLessThan(1_000);
      expect((await verification.handle(id).describe()).status.name).toBe('RUNNING');
      calizaDown.delete(id);
    });
  });

  describe(`start() when the session update fails with ${SESSION_UPDATE_RETRY_TYPE}`, () => {
    /**
     * A client whose real update-with-start calls have their outcome replaced by a failure of the type
     * `failureOf(attempt)` names (1 for the first call); null leaves the real outcome.
     */
    function failingSessionUpdates(failureOf: (attempt: number) => string | null) {
      const calls = { attempts: 0 };
      const client = intercepted({
        async startUpdateWithStart(input, next) {
          calls.attempts += 1;
          const output = await next(input);
          const type = failureOf(calls.attempts);
          return type === null ? output : { ...output, updateOutcome: { failure: updateFailure(type) } };
        },
      });
      return { client, calls };
    }

    it('gets the session from a later run when the real workflow continues as new during an outage', async () => {
      const id = newId('across-runs');
      calizaDown.add(id);
      const starting = verification.start(id, {
        timeoutMs: 50_000,
        maxHistoryEventsPerRun: 20,
        polling: { initialIntervalMs: 200, multiplier: 2, maxIntervalMs: 400 },
      });
      const firstRunId = await eventually(
        () =>
          verification
            .handle(id)
            .describe()
            .then(
              (description) => description.runId,
              () => undefined,
            ),
        5_000,
      );
      await eventually(async () => {
        const state = await verification.getState(id);
        return state.runsContinued > 0 ? state : undefined;
      }, 40_000);
      calizaDown.delete(id);
      const started = await starting;
      expect(started).toMatchObject({ verificationUrl: `https://verify.example/${id}`, status: 'PENDING' });
      expect(started.runId).not.toBe(firstRunId);
      expect(started.runId).toBe((await verification.handle(id).describe()).runId);
    }, 60_000);

    it('asks again with update-with-start and answers with the session', async () => {
      const id = newId('next-run');
      const { client, calls } = failingSessionUpdates((attempt) =>
        attempt === 1 ? SESSION_UPDATE_RETRY_TYPE : null,
      );
      const started = await client.start(id);
      expect(calls.attempts).toBe(2);
      expect(started).toMatchObject({ verificationUrl: `https://verify.example/${id}`, status: 'PENDING' });
    });

    it('keeps asking only within the same timeout, then answers NOT_CREATED', async () => {
      const id = newId('next-run-timeout');
      const { client, calls } = failingSessionUpdates(() => SESSION_UPDATE_RETRY_TYPE);
      const began = Date.now();
      const started = await client.start(id, { timeoutMs: 1_500 });
      expect(Date.now() - began).toBeLessThan(1_500 + 500);
      expect(started.status).toBe('NOT_CREATED');
      expect(calls.attempts).toBeGreaterThan(1);
    });

    it('does not ask again on any other failure of the update', async () => {
      const id = newId('refused');
      const { client, calls } = failingSessionUpdates(() => 'beneficiary.not_found');
      const error = await client.start(id).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(
        'beneficiary.not_found',
      );
      expect(calls.attempts).toBe(1);
    });
  });

  describe('start() after a completed verification', () => {
    /** A verification that ended FAILED, whose next session (for a re-verification) stays PENDING. */
    async function failedVerification(id: string): Promise<string> {
      caliza.script(id, 'FAILED');
      const first = await verification.start(id, { polling: FAST_POLLING });
      expect(await verification.result(id)).toMatchObject({ outcome: 'FAILED' });
      caliza.script(id, 'PENDING');
      return first.runId;
    }

    /** Starts a new run the way a concurrent `start(id, { reverify: true })` would. */
    const reverifyConcurrently = (id: string) =>
      temporal.client.workflow.start(WORKFLOW_TYPE, {
        workflowId: workflowIdFor(id),
        taskQueue,
        args: [{ beneficiaryId: id }],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });

    it('joins a run that a concurrent re-verification started, instead of waiting for its result', async () => {
      const id = newId('raced-start');
      await failedVerification(id);
      let newRunId: string | undefined;
      const client = intercepted({
        async startUpdateWithStart(input, next) {
          try {
            return await next(input);
          } catch (err) {
            if (err instanceof WorkflowExecutionAlreadyStartedError && newRunId === undefined) {
              newRunId = (await reverifyConcurrently(id)).firstExecutionRunId;
            }
            throw err;
          }
        },
      });
      const started = await within(client.start(id), 10_000, 'start()');
      expect(newRunId).toEqual(expect.any(String));
      expect(started).toMatchObject({ runId: newRunId, status: 'PENDING' });
      expect(started.result).toBeUndefined();
    });

    it('reads the result of the run it found completed, even when a new run starts right after', async () => {
      const id = newId('raced-read');
      const failedRunId = await failedVerification(id);
      let raced = false;
      const client = intercepted({
        async describe(input, next) {
          const description = await next(input);
          if (!raced) {
            raced = true;
            await reverifyConcurrently(id);
          }
          return description;
        },
      });
      const started = await within(client.start(id), 10_000, 'start()');
      expect(raced).toBe(true);
      expect(started).toMatchObject({
        runId: failedRunId,
        status: 'FAILED',
        verificationUrl: null,
        result: { outcome: 'FAILED' },
      });
    });
  });

  describe('deliverEvent() after the verification ended', () => {
    const runsOf = async (id: string) => {
      const description = await verification.handle(id).describe();
      return { runId: description.runId, mode: description.memo?.[RUN_MODE_MEMO_KEY] };
    };

    it('records an approval that comes after the verification expired, once, reading the session', async () => {
      const id = newId('expired');
      await verification.start(id, { deadlineMs: 1_500 });
      expect(await verification.result(id)).toMatchObject({ outcome: 'FAILED', reason: 'EXPIRED' });
      const expired = await verification.handle(id).describe();
      expect(expired.typedSearchAttributes.get(verificationOutcomeKey)).toBe('EXPIRED');
      expect(expired.memo?.[RUN_MODE_MEMO_KEY]).toBe('VERIFY');

      // A failure after the end changes nothing.
      expect(await verification.deliverEvent(failed(id))).toBe('ALREADY_ENDED');
      expect((await runsOf(id)).runId).toBe(expired.runId);

      caliza.script(id, 'SUCCEEDED');
      expect(await verification.deliverEvent(approved(id))).toBe('RECORDED_AFTER_END');
      const recording = await runsOf(id);
      expect(recording.runId).not.toBe(expired.runId);
      expect(recording.mode).toBe('RECORD_OUTCOME');
      expect(await verification.result(id)).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
      expect(caliza.count('create', id)).toBe(1);

      // A recording run is never followed by another, whatever is replayed.
      expect(await verification.deliverEvent(approved(id, 'replayed'))).toBe('ALREADY_ENDED');
      expect((await runsOf(id)).runId).toBe(recording.runId);
    });

    it('records an approval that comes after the verification was terminated', async () => {
      const id = newId('terminated');
      await verification.start(id);
      await verification.handle(id).terminate('operator');
      caliza.script(id, 'SUCCEEDED');
      expect(await verification.deliverEvent(approved(id))).toBe('RECORDED_AFTER_END');
      expect(await verification.result(id)).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
      expect((await runsOf(id)).mode).toBe('RECORD_OUTCOME');
    });

    it('leaves an APPROVED verification alone', async () => {
      const id = newId('approved');
      caliza.script(id, 'SUCCEEDED');
      await verification.start(id);
      expect(await verification.deliverEvent(approved(id))).toBe('ACCEPTED');
      expect(await verification.result(id)).toMatchObject({ outcome: 'APPROVED' });
      const { runId } = await runsOf(id);
      expect(await verification.deliverEvent(approved(id, 'again'))).toBe('ALREADY_ENDED');
      expect((await runsOf(id)).runId).toBe(runId);
    });
  });

  describe('npm run starter --timeout', () => {
    it('reads --timeout in seconds, 60 s by default, and refuses anything but a positive number', () => {
      expect(parseStarterArgs(['b-1']).timeoutMs).toBe(60_000);
      expect(parseStarterArgs(['b-1', '--timeout', '2.5']).timeoutMs).toBe(2_500);
      for (const bad of ['0', '-1', 'soon', '1e3', '90000']) {
        expect(() => parseStarterArgs(['b-1', `--timeout=${bad}`])).toThrow(/--timeout must be/);
      }
    });

    it('prints NOT_CREATED when the session is not there in time, and says so on stderr', async () => {
      const id = newId('starter');
      calizaDown.add(id);
      const began = Date.now();
      const { stdout, stderr } = await run(
        process.execPath,
        [path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/starter.ts', id, '--timeout', '2'],
        {
          cwd: PROJECT_ROOT,
          env: {
            ...process.env,
            TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
            TEMPORAL_TASK_QUEUE: taskQueue,
          },
        },
      );
      const printed = JSON.parse(stdout) as Record<string, unknown>;
      expect(printed).toEqual({
        workflowId: workflowIdFor(id),
        runId: (await verification.handle(id).describe()).runId,
        verificationUrl: null,
        status: 'NOT_CREATED',
      });
      expect(stderr).toMatch(/^NOT_CREATED: no verification session within 2 s/);
      // Two seconds of waiting, plus the time tsx takes to start.
      expect(Date.now() - began).toBeLessThan(15_000);
      calizaDown.delete(id);
    });
  });
});
