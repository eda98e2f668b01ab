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
} from '@temporalio/client';
import {
  DEFAULT_DEADLINE_MS,
  DEFAULT_POLLING,
  DEFAULT_TASK_QUEUE,
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
import { beneficiaryIdKey } from '../search-attributes';
import type { verifyBeneficiary } from '../workflows';

export interface StartVerificationOptions {
  /** Start a new verification when the last one ended FAILED. Never restarts an APPROVED one. */
  reverify?: boolean;
  polling?: VerifyBeneficiaryInput['polling'];
  deadlineMs?: number;
  maxHistoryEventsPerRun?: number;
}

export interface StartedVerification {
  workflowId: string;
  runId: string;
  verificationUrl: string | null;
  status: SessionStatus;
  /** Present when the verification had already ended and no new one was started. */
  result?: VerificationResult;
}

/** ACCEPTED: Temporal durably holds the signal (running verification, or a new recording run). */
export type DeliveryResult = 'ACCEPTED' | 'ALREADY_ENDED';

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
   */
  async start(beneficiaryId: string, options: StartVerificationOptions = {}): Promise<StartedVerification> {
    try {
      return await this.startOrJoin(
        beneficiaryId,
        options,
        WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    // The last run completed, with an outcome.
    const handle = this.handle(beneficiaryId);
    const result = await handle.result();
    if (result.outcome === 'FAILED' && options.reverify) {
      return this.startOrJoin(beneficiaryId, options, WorkflowIdReusePolicy.ALLOW_DUPLICATE);
    }
    const description = await handle.describe();
    return {
      workflowId: handle.workflowId,
      runId: description.runId,
      verificationUrl: null,
      status: result.outcome === 'APPROVED' ? 'SUCCEEDED' : 'FAILED',
      result,
    };
  }

  private async startOrJoin(
    beneficiaryId: string,
    options: StartVerificationOptions,
    workflowIdReusePolicy: WorkflowIdReusePolicy,
  ): Promise<StartedVerification> {
    const input: VerifyBeneficiaryInput = {
      beneficiaryId,
      ...(options.polling && { polling: options.polling }),
      ...(options.deadlineMs !== undefined && { deadlineMs: options.deadlineMs }),
      ...(options.maxHistoryEventsPerRun !== undefined && {
        maxHistoryEventsPerRun: options.maxHistoryEventsPerRun,
      }),
    };
    const operation = new WithStartWorkflowOperation<typeof verifyBeneficiary>(WORKFLOW_TYPE, {
      ...this.startOptions(beneficiaryId, input),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy,
    });
    const session = await this.client.workflow.executeUpdateWithStart(sessionUpdate, {
      startWorkflowOperation: operation,
    });
    const handle = await operation.workflowHandle();
    const description = await handle.describe();
    return { workflowId: handle.workflowId, runId: description.runId, ...session };
  }

  /**
   * Delivers a webhook event. A running verification gets it as a signal; with no verification at all, a
   * run is started that records the outcome (after reading the session) without creating a session; a
   * verification that already ended is left alone, so a late event never starts a new one.
   */
  async deliverEvent(event: VerificationEvent): Promise<DeliveryResult> {
    const input: VerifyBeneficiaryInput = { beneficiaryId: event.beneficiaryId, mode: 'RECORD_OUTCOME' };
    try {
      await this.client.workflow.signalWithStart<typeof verifyBeneficiary, [VerificationEvent]>(
        WORKFLOW_TYPE,
        {
          ...this.startOptions(event.beneficiaryId, input),
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          // Any earlier run, whatever its end, means this event is late.
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          signal: verificationEventSignal,
          signalArgs: [event],
        },
      );
      return 'ACCEPTED';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'ALREADY_ENDED';
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
          'Started by a Caliza webhook for a beneficiary with no running verification.',
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
