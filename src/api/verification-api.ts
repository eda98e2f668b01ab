/**
 * What each HTTP endpoint does, over the client library (`VerificationClient`), so that the API has its
 * semantics exactly: start is its update-with-start, state its query, and so on. Temporal's failures become
 * ApiErrors here: an unknown verification 404, a refused change 409, a Temporal that does not answer 503.
 */
import {
  type Client,
  type WorkflowExecutionDescription,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { type VerificationClient, VerificationStartTimeoutError } from '../client/verification-client';
import { workflowIdFor } from '../contracts';
import { isTemporalUnavailable } from '../webhooks/temporal-availability';
import { ApiError } from './errors';
import {
  CLOSED_STATUSES,
  type CancelAnswer,
  type ClosedStatus,
  type DeadlineAnswer,
  type StartAnswer,
  type StartRequest,
  type WaitAnswer,
} from './schemas';
import type { VerificationStateView } from '../contracts';

/** Bound on one short Temporal call (describe, query, cancel, update). */
export const TEMPORAL_CALL_TIMEOUT_MS = 10_000;
/** Extra time a start or a wait gets past its own bound to answer (the run lookup, the final query). */
const ANSWER_MARGIN_MS = 5_000;

export class VerificationApi {
  private readonly client: Client;

  constructor(private readonly verifications: VerificationClient) {
    this.client = verifications.client;
  }

  async start(request: StartRequest): Promise<StartAnswer> {
    const { beneficiaryId } = request;
    const timeoutMs = request.timeoutSeconds * 1000;
    const started = await this.temporal(timeoutMs + ANSWER_MARGIN_MS, async () => {
      try {
        return await this.verifications.start(beneficiaryId, { reverify: request.reverify, timeoutMs });
      } catch (err) {
        if (err instanceof VerificationStartTimeoutError) {
          throw new ApiError('UNAVAILABLE', 'Temporal did not answer in time; try again');
        }
        if (err instanceof WorkflowUpdateFailedError) throw await this.notStarted(beneficiaryId, err);
        throw err;
      }
    });
    return {
      beneficiaryId,
      workflowId: started.workflowId,
      runId: started.runId,
      verificationUrl: started.verificationUrl,
      status: started.status,
      result: started.result ?? null,
    };
  }

  async state(beneficiaryId: string): Promise<VerificationStateView> {
    return this.temporal(TEMPORAL_CALL_TIMEOUT_MS, () => this.verifications.getState(beneficiaryId));
  }

  /** The result once there is one within `waitSeconds`; the current state otherwise. */
  async wait(beneficiaryId: string, waitSeconds: number): Promise<WaitAnswer> {
    const workflowId = workflowIdFor(beneficiaryId);
    const closedAs = await this.waitUntilClosed(beneficiaryId, waitSeconds * 1000);
    if (closedAs === 'COMPLETED') {
      const result = await this.temporal(TEMPORAL_CALL_TIMEOUT_MS, () =>
        this.verifications.result(beneficiaryId),
      );
      return { beneficiaryId, workflowId, done: true, closedAs, result, state: null };
    }
    // Still running, or ended without a result: what the run knew last is the answer.
    const state = await this.state(beneficiaryId).catch((err: unknown) => {
      if (closedAs === null) throw err;
      return null;
    });
    return { beneficiaryId, workflowId, done: closedAs !== null, closedAs, result: null, state };
  }

  /** Cancels a running verification; asking again, or after it ended, says so instead of failing. */
  async cancel(beneficiaryId: string): Promise<CancelAnswer> {
    const workflowId = workflowIdFor(beneficiaryId);
    const closedAs = closedStatusOf(await this.describe(beneficiaryId));
    if (closedAs !== null) return { beneficiaryId, workflowId, cancelRequested: false, closedAs };
    await this.temporal(TEMPORAL_CALL_TIMEOUT_MS, () => this.verifications.cancel(beneficiaryId));
    return { beneficiaryId, workflowId, cancelRequested: true, closedAs: null };
  }

  /**
   * Moves the deadline to `deadlineAt`. Setting the deadline it already has answers as if just set, so a
   * retried request succeeds; an earlier one, or a decided verification, is a 409.
   */
  async extendDeadline(beneficiaryId: string, deadlineAt: string): Promise<DeadlineAnswer> {
    const workflowId = workflowIdFor(beneficiaryId);
    const closedAs = closedStatusOf(await this.describe(beneficiaryId));
    if (closedAs !== null) throw new ApiError('CONFLICT', `the verification has ended (${closedAs})`);
    const current = await this.state(beneficiaryId);
    if (current.outcome) throw new ApiError('CONFLICT', 'the verification is already decided');
    if (Date.parse(current.deadlineAt) === Date.parse(deadlineAt)) {
      return { beneficiaryId, workflowId, deadlineAt: current.deadlineAt };
    }
    try {
      const moved = await this.temporal(TEMPORAL_CALL_TIMEOUT_MS, () =>
        this.verifications.extendDeadline(beneficiaryId, new Date(deadlineAt)),
      );
      return { beneficiaryId, workflowId, deadlineAt: moved.deadlineAt };
    } catch (err) {
      // The workflow's validator refused it: the message says why (not later, already decided).
      if (err instanceof WorkflowUpdateFailedError) {
        throw new ApiError('CONFLICT', failureMessage(err), [
          { path: 'body.deadlineAt', message: `the current deadline is ${current.deadlineAt}` },
        ]);
      }
      throw err;
    }
  }

  /** How the latest run ended once it has, within `waitMs`; null while it still runs. */
  private async waitUntilClosed(beneficiaryId: string, waitMs: number): Promise<ClosedStatus | null> {
    const closedAs = closedStatusOf(await this.describe(beneficiaryId));
    if (closedAs !== null || waitMs === 0) return closedAs;
    const connection = this.client.connection;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), waitMs);
    try {
      await connection.withDeadline(Date.now() + waitMs + ANSWER_MARGIN_MS, () =>
        connection.withAbortSignal(controller.signal, () => this.verifications.result(beneficiaryId)),
      );
      return 'COMPLETED';
    } catch (err) {
      // Cut short by the wait's end, or ended without a result: describe says which.
      if (!controller.signal.aborted && !(err instanceof WorkflowFailedError)) throw translate(err);
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    return closedStatusOf(await this.describe(beneficiaryId));
  }

  private describe(beneficiaryId: string): Promise<WorkflowExecutionDescription> {
    return this.temporal(TEMPORAL_CALL_TIMEOUT_MS, () => this.verifications.handle(beneficiaryId).describe());
  }

  /** Why the `session` update failed: the run ended without a session, with Caliza's refusal as cause. */
  private async notStarted(beneficiaryId: string, err: WorkflowUpdateFailedError): Promise<ApiError> {
    const runFailure = await this.temporal(TEMPORAL_CALL_TIMEOUT_MS, () =>
      this.verifications.result(beneficiaryId).then(
        () => null,
        (failed: unknown) => (failed instanceof WorkflowFailedError ? failed.cause : null),
      ),
    ).catch(() => null);
    const details = [{ path: 'session', message: failureMessage(err) }];
    const notStarted = () =>
      new ApiError('VERIFICATION_NOT_STARTED', 'the verification ended before a session existed', details);
    if (!(runFailure instanceof ApplicationFailure)) return notStarted();
    details.push({ path: 'run', message: `${runFailure.type ?? 'Error'}: ${runFailure.message}` });
    // Caliza's own 404 (`beneficiary.not_found`): the id names no beneficiary there.
    if (runFailure.type?.endsWith('not_found')) {
      return new ApiError('NOT_FOUND', 'Caliza knows no beneficiary with this id', details);
    }
    return notStarted();
  }

  /** Runs one Temporal call with a gRPC deadline, translating its failures into ApiErrors. */
  private async temporal<T>(timeoutMs: number, call: () => Promise<T>): Promise<T> {
    try {
      return await this.client.connection.withDeadline(Date.now() + timeoutMs, call);
    } catch (err) {
      throw translate(err);
    }
  }
}

function translate(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof WorkflowNotFoundError) return new ApiError('NOT_FOUND', 'no such verification');
  if (isTemporalUnavailable(err)) return new ApiError('UNAVAILABLE', 'Temporal is unavailable; try again');
  // A run that ended before its first workflow task (terminated at once) never had a state to report.
  if (grpcCodeOf(err) === GRPC_FAILED_PRECONDITION) {
    return new ApiError('CONFLICT', 'the verification ended before it had a state to report');
  }
  return err;
}

const GRPC_FAILED_PRECONDITION = 9;

/** The gRPC status code under the client's ServiceError, if any. */
function grpcCodeOf(err: unknown): number | null {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code: unknown = (current as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    current = current.cause;
  }
  return null;
}

function closedStatusOf(description: WorkflowExecutionDescription): ClosedStatus | null {
  const name = description.status.name as string;
  return (CLOSED_STATUSES as readonly string[]).includes(name) ? (name as ClosedStatus) : null;
}

function failureMessage(err: WorkflowUpdateFailedError): string {
  return err.cause instanceof Error ? err.cause.message : err.message;
}
