/**
 * The typed client backend services use: start a verification and get its URL in one round trip, read its
 * state, await its result, deliver a webhook event, extend its deadline, cancel it.
 */
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  DEFAULT_DEADLINE_MS,
  DEFAULT_POLLING,
  DEFAULT_TASK_QUEUE,
  SESSION_UPDATE_RETRY_TYPE,
  type SessionStatus,
  type VerificationEvent,
  type VerificationResult,
  type VerificationStateView,
  type VerifyBeneficiaryInput,
  WORKFLOW_TYPE,
  extendDeadlineUpdate,
  getStateQuery,
  sessionUpdate,
  verificationEventSignal,
  workflowIdFor,
} from '../contracts';
import { beneficiaryIdKey, verificationOutcomeKey } from '../search-attributes';
import type { verifyBeneficiary } from '../workflows';

export interface StartVerificationOptions {
  /** Start a new verification when the last one ended FAILED. Never restarts an APPROVED one. */
  reverify?: boolean;
  polling?: VerifyBeneficiaryInput['polling'];
  deadlineMs?: number;
  maxHistoryEventsPerRun?: number;
  /**
   * Longest time `start()` waits for the session, default {@link DEFAULT_START_TIMEOUT_MS}. When it is not
   * there in time, the answer says `NOT_CREATED`; the run keeps trying and a later `start()` joins it.
   */
  timeoutMs?: number;
  /** Gives up waiting: `start()` rejects with the signal's reason at once. The run is not affected. */
  signal?: AbortSignal;
}

/** How long `start()` waits for the session unless told otherwise. */
export const DEFAULT_START_TIMEOUT_MS = 60_000;

export interface StartedVerification {
  workflowId: string;
  runId: string;
  verificationUrl: string | null;
  /** The session's status; `NOT_CREATED` when the run had no session within the timeout. */
  status: SessionStatus | 'NOT_CREATED';
  /** Present when the verification had already ended and no new one was started. */
  result?: VerificationResult;
}

/** `start()` ran out of time before it could even tell which run it had started or joined. */
export class VerificationStartTimeoutError extends Error {
  override readonly name = 'VerificationStartTimeoutError';
}

/** Part of the timeout, at most a quarter of it, kept to look up the run when no session came in time. */
const RUN_LOOKUP_RESERVE_MS = 1_000;
/** Pause before asking again after the run continued as new without a session. */
const SESSION_RETRY_PAUSE_MS = 200;
const TIMED_OUT = Symbol('timed out');

/**
 * ACCEPTED: Temporal durably holds the signal (running verification, or a new recording run).
 * RECORDED_AFTER_END: an approval after a verification that ended otherwise; a recording run holds it.
 * ALREADY_ENDED: a late event, left alone.
 */
export type DeliveryResult = 'ACCEPTED' | 'RECORDED_AFTER_END' | 'ALREADY_ENDED';

/**
 * The id policies of a start (docs/contract.md): a running verification is joined; a new run follows a
 * failed, cancelled, terminated or timed-out one, and a completed (decided) one only on re-verification.
 */
export const START_ID_POLICIES = {
  conflict: WorkflowIdConflictPolicy.USE_EXISTING,
  reuse: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
  reuseToReverify: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
} as const;

/** Memo key holding each run's mode (`VERIFY` or `RECORD_OUTCOME`). */
export const RUN_MODE_MEMO_KEY = 'mode';

export class VerificationClient {
  readonly taskQueue: string;

  constructor(
    readonly client: Client,
    options: { taskQueue?: string } = {},
  ) {
    this.taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  }

  /**
   * Starts the verification, or joins the one already running, and answers once its session exists
   * (update-with-start: one round trip). After an APPROVED verification it returns that result; after a
   * FAILED one it starts again only with `reverify`. A cancelled or terminated run is started afresh.
   *
   * It never waits longer than `timeoutMs` (60 s by default): without a session by then, the answer is
   * `status: 'NOT_CREATED'` with the run's ids, while the run (and, once accepted, the `session` update)
   * carries on. When the run continues as new before its session exists, the new run is asked, within the
   * same timeout.
   */
  async start(beneficiaryId: string, options: StartVerificationOptions = {}): Promise<StartedVerification> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError('timeoutMs must be a positive number of milliseconds');
    }
    options.signal?.throwIfAborted();
    const workflowId = workflowIdFor(beneficiaryId);
    const deadline = Date.now() + timeoutMs;
    const sessionDeadline = deadline - Math.min(RUN_LOOKUP_RESERVE_MS, timeoutMs / 4);
    const run: RunSeen = { id: null };
    const answer = await this.bounded(sessionDeadline, deadline, options.signal, (signal) =>
      this.startOrRead(beneficiaryId, options, run, signal),
    );
    if (answer !== TIMED_OUT) return answer;

    let runId: string | typeof TIMED_OUT;
    try {
      runId =
        run.id ??
        (await this.bounded(deadline, deadline, options.signal, async () => {
          return (await this.handle(beneficiaryId).describe()).runId;
        }));
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw new VerificationStartTimeoutError(
        `no session for ${workflowId} within ${timeoutMs} ms, and its run could not be looked up`,
        { cause: err },
      );
    }
    if (runId === TIMED_OUT) {
      throw new VerificationStartTimeoutError(
        `no answer from Temporal for ${workflowId} within ${timeoutMs} ms`,
      );
    }
    return { workflowId, runId, verificationUrl: null, status: 'NOT_CREATED' };
  }

  /** The session of the running verification, or the outcome of the completed one (see `start`). */
  private async startOrRead(
    beneficiaryId: string,
    options: StartVerificationOptions,
    run: RunSeen,
    signal: AbortSignal,
  ): Promise<StartedVerification> {
    const workflowId = workflowIdFor(beneficiaryId);
    let reusePolicy: WorkflowIdReusePolicy = START_ID_POLICIES.reuse;
    for (;;) {
      try {
        return await this.startOrJoin(beneficiaryId, options, reusePolicy, run, signal);
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      // The last run completed. Read the outcome of that very run: a run started meanwhile (a concurrent
      // re-verification) is joined instead, never waited on.
      const last = await this.handle(beneficiaryId).describe();
      if (last.status.name === 'RUNNING') continue;
      run.id = last.runId;
      const result = await this.client.workflow
        .getHandle<typeof verifyBeneficiary>(workflowId, last.runId, { followRuns: false })
        .result();
      // A recording run that found nothing to confirm verified nothing: verify now.
      if ((result.outcome === 'FAILED' && options.reverify) || result.outcome === 'NOT_VERIFIED_HERE') {
        reusePolicy = START_ID_POLICIES.reuseToReverify;
        continue;
      }
      return {
        workflowId,
        runId: last.runId,
        verificationUrl: null,
        status: result.outcome === 'APPROVED' ? 'SUCCEEDED' : 'FAILED',
        result,
      };
    }
  }

  private async startOrJoin(
    beneficiaryId: string,
    options: StartVerificationOptions,
    workflowIdReusePolicy: WorkflowIdReusePolicy,
    run: RunSeen,
    signal: AbortSignal,
  ): Promise<StartedVerification> {
    const input: VerifyBeneficiaryInput = {
      beneficiaryId,
      ...(options.polling && { polling: options.polling }),
      ...(options.deadlineMs !== undefined && { deadlineMs: options.deadlineMs }),
      ...(options.maxHistoryEventsPerRun !== undefined && {
        maxHistoryEventsPerRun: options.maxHistoryEventsPerRun,
      }),
    };
    for (;;) {
      signal.throwIfAborted();
      const operation = new WithStartWorkflowOperation<typeof verifyBeneficiary>(WORKFLOW_TYPE, {
        ...this.startOptions(beneficiaryId, input),
        workflowIdConflictPolicy: START_ID_POLICIES.conflict,
        workflowIdReusePolicy,
      });
      // Accepted: the update is durable in the run, and stays there if this caller stops waiting.
      const update = await this.client.workflow.startUpdateWithStart(sessionUpdate, {
        startWorkflowOperation: operation,
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      const runId = update.workflowRunId ?? (await this.handle(beneficiaryId).describe()).runId;
      run.id = runId;
      try {
        const session = await update.result();
        return { workflowId: update.workflowId, runId, ...session };
      } catch (err) {
        if (!isSessionInNextRun(err)) throw err;
      }
      // The run continued as new before its session existed: ask the new one.
      run.id = null;
      await pause(SESSION_RETRY_PAUSE_MS, signal);
    }
  }

  /**
   * Runs `fn` until `until`, then answers TIMED_OUT. Every Temporal call in it is cancelled at that point
   * (or when `signal` aborts, which rejects with its reason), and none can outlive `grpcDeadline`.
   */
  private async bounded<T>(
    until: number,
    grpcDeadline: number,
    signal: AbortSignal | undefined,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T | typeof TIMED_OUT> {
    const controller = new AbortController();
    const connection = this.client.connection;
    const work = connection.withDeadline(grpcDeadline, () =>
      connection.withAbortSignal(controller.signal, () => fn(controller.signal)),
    );
    // Whatever `fn` does once it is cut short (a cancelled call rejects) is of no interest any more.
    work.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<typeof TIMED_OUT>((resolve, reject) => {
      timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, until - Date.now()));
      if (signal) {
        onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      return await Promise.race([work, stop]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  /**
   * Delivers a webhook event. A running verification gets it as a signal; with no verification at all, a
   * run is started that records the outcome (after reading the session) without creating a session.
   *
   * A verification that already ended is left alone (`ALREADY_ENDED`), so a late event never starts a new
   * verification, with one exception: a `BENEFICIARY_APPROVED` after a VERIFY run that did not end APPROVED
   * (expired, failed, cancelled, terminated, timed out) starts a RECORD_OUTCOME run, which confirms the
   * approval by a read of the session (`RECORDED_AFTER_END`). A RECORD_OUTCOME run is never followed by
   * another, so a replayed body can start at most one.
   */
  async deliverEvent(event: VerificationEvent): Promise<DeliveryResult> {
    // Any earlier run, whatever its end, means this event is late.
    if (await this.signalOrRecord(event, WorkflowIdReusePolicy.REJECT_DUPLICATE)) return 'ACCEPTED';
    const last = await this.handle(event.beneficiaryId).describe();
    if (last.status.name === 'RUNNING') {
      // Started since: deliver to it like to any running verification.
      return (await this.signalOrRecord(event, WorkflowIdReusePolicy.REJECT_DUPLICATE))
        ? 'ACCEPTED'
        : 'ALREADY_ENDED';
    }
    const lastMode = last.memo?.[RUN_MODE_MEMO_KEY] === 'RECORD_OUTCOME' ? 'RECORD_OUTCOME' : 'VERIFY';
    const approvedAlready = last.typedSearchAttributes.get(verificationOutcomeKey) === 'APPROVED';
    if (event.operation !== 'BENEFICIARY_APPROVED' || lastMode !== 'VERIFY' || approvedAlready) {
      return 'ALREADY_ENDED';
    }
    await this.signalOrRecord(event, WorkflowIdReusePolicy.ALLOW_DUPLICATE);
    return 'RECORDED_AFTER_END';
  }

  /** Signals the running run, or starts a RECORD_OUTCOME run with the event; false when the policy refused. */
  private async signalOrRecord(
    event: VerificationEvent,
    workflowIdReusePolicy: WorkflowIdReusePolicy,
  ): Promise<boolean> {
    const input: VerifyBeneficiaryInput = { beneficiaryId: event.beneficiaryId, mode: 'RECORD_OUTCOME' };
    try {
      await this.client.workflow.signalWithStart<typeof verifyBeneficiary, [VerificationEvent]>(
        WORKFLOW_TYPE,
        {
          ...this.startOptions(event.beneficiaryId, input),
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          workflowIdReusePolicy,
          signal: verificationEventSignal,
          signalArgs: [event],
        },
      );
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw err;
    }
  }

  async getState(beneficiaryId: string): Promise<VerificationStateView> {
    return this.handle(beneficiaryId).query(getStateQuery);
  }

  /** Waits for the outcome (following continue-as-new). */
  async result(beneficiaryId: string): Promise<VerificationResult> {
    return this.handle(beneficiaryId).result();
  }

  /** Moves the deadline later; rejected by the workflow's validator when it is not later. */
  async extendDeadline(beneficiaryId: string, deadlineAt: Date): Promise<{ deadlineAt: string }> {
    return this.handle(beneficiaryId).executeUpdate(extendDeadlineUpdate, {
      args: [{ deadlineAt: deadlineAt.toISOString() }],
    });
  }

  /** Requests cancellation; the run ends as Cancelled and `result()` then rejects with a CancelledFailure cause. */
  async cancel(beneficiaryId: string): Promise<void> {
    await this.handle(beneficiaryId).cancel();
  }

  handle(beneficiaryId: string): WorkflowHandle<typeof verifyBeneficiary> {
    return this.client.workflow.getHandle<typeof verifyBeneficiary>(workflowIdFor(beneficiaryId));
  }

  private startOptions(beneficiaryId: string, input: VerifyBeneficiaryInput) {
    return {
      workflowId: workflowIdFor(beneficiaryId),
      taskQueue: this.taskQueue,
      args: [input] as [VerifyBeneficiaryInput],
      typedSearchAttributes: [{ key: beneficiaryIdKey, value: beneficiaryId }],
      // Carried over by continue-as-new, so the mode of a chain's last run is known from describe().
      memo: { [RUN_MODE_MEMO_KEY]: input.mode ?? 'VERIFY' },
      staticSummary:
        input.mode === 'RECORD_OUTCOME'
          ? `Record the verification outcome of beneficiary ${beneficiaryId}`
          : `KYC/KYB verification of beneficiary ${beneficiaryId}`,
      staticDetails: staticDetailsOf(input),
    };
  }
}

/** Markdown for the UI's static details: what this run was asked to do. */
function staticDetailsOf(input: VerifyBeneficiaryInput): string {
  const polling = { ...DEFAULT_POLLING, ...input.polling };
  const lines =
    input.mode === 'RECORD_OUTCOME'
      ? [
          'Started by a Caliza webhook while no verification was running.',
          'Reads the existing session to confirm the event; never creates a session.',
        ]
      : ['Creates (or reuses) the Caliza verification session, then waits for its outcome webhook.'];
  return [
    ...lines.map((line) => `- ${line}`),
    `- Beneficiary: \`${input.beneficiaryId}\``,
    `- Polling fallback: every ${polling.initialIntervalMs / 1000} s, ×${polling.multiplier}, up to ${polling.maxIntervalMs / 1000} s`,
    `- Deadline: ${(input.deadlineMs ?? DEFAULT_DEADLINE_MS) / 86_400_000} days after the start`,
  ].join('\n');
}

/** Which run `start()` is waiting on, as far as it knows. */
interface RunSeen {
  id: string | null;
}

/** The `session` update failed because its run continued as new before the session existed. */
function isSessionInNextRun(err: unknown): boolean {
  return (
    err instanceof WorkflowUpdateFailedError &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === SESSION_UPDATE_RETRY_TYPE
  );
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
