/**
 * `verifyBeneficiary`: one run per beneficiary takes a Caliza verification session from creation to an
 * APPROVED or FAILED result. The decisions live in `verification-machine.ts`; this file only performs the
 * actions the machine asks for and feeds their results back.
 */
import { type Context as TraceContext, context as traceContext } from '@opentelemetry/api';
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type CallFailureHint,
  type FailureDetails,
  INVALID_INPUT_FAILURE_TYPE,
  NO_SESSION_FAILURE_TYPE,
  SESSION_UPDATE_RETRY_TYPE,
  type SessionSummary,
  beneficiaryIdProblem,
  type VerificationActivities,
  type VerificationResult,
  type VerificationSession,
  type VerifyBeneficiaryInput,
  extendDeadlineUpdate,
  getStateQuery,
  sessionUpdate,
  verificationEventSignal,
} from '../contracts';
import { describeState } from './current-details';
import { SearchAttributePublisher } from './search-attribute-publisher';
import { VerificationMetrics } from './verification-metrics';
import {
  type CallFailure,
  type MachineEvent,
  type MachineState,
  type NextAction,
  apply,
  carry,
  initialState,
  isFatal,
  isNotVerifiedHere,
  needsFailureDetails,
  nextAction,
  planKey,
  view,
} from './verification-machine';

/**
 * Local activities: both calls are short, idempotent HTTP requests (the create returns the existing PENDING
 * session), so running them inside the workflow task saves two history events and a task-queue round trip
 * per call, which is most of the webhook-to-result latency. 15 s covers the client's 10 s HTTP timeout plus
 * a token fetch. Three attempts (1 s, then 2 s apart) ride out a blip; after that the call has failed for
 * good and the machine's own back-off takes over, with a durable timer, doubling up to the longest poll
 * interval. The attempts are bounded by count because the SDK does not enforce a schedule-to-close
 * timeout that expires during a local retry's back-off.
 */
const calizaCallOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '4s', maximumAttempts: 3 },
} as const;
const { createVerificationSession, readVerificationSession } =
  proxyLocalActivities<VerificationActivities>(calizaCallOptions);

/**
 * Waits wake on a change of plan, no longer on "an event is pending": that predicate was already true
 * during a back-off with an event waiting, which spun the workflow task forever. Histories recorded
 * before the change replay with the old predicate; the marker is written only where the two disagree.
 */
export const WAKE_ON_PLAN_CHANGE_PATCH = 'wake-on-plan-change';

/**
 * A continue-as-new in the workflow task that made a Caliza call is refused by the server when a signal
 * or an update (a `start()`) arrives while that task runs (UNHANDLED_COMMAND), and the task runs again
 * from the last recorded one: the call's result had not been recorded, so the whole call cycle ran again,
 * three requests and seconds each time. With `start()` calls back to back during an outage that made 36
 * calls in the run's first hour instead of 18, and 27 in a later hour instead of 3. A 1 ms timer first
 * ends the task with the calls recorded; the continue-as-new then has a task of its own that repeats no
 * call if it is refused. The marker is written only where a continue-as-new follows a call.
 */
export const RECORD_CALLS_BEFORE_CONTINUE_AS_NEW_PATCH = 'record-calls-before-continue-as-new';

/**
 * A FAILED session is followed by one read of the beneficiary, whose status carries Caliza's reason.
 * Runs recorded before it complete without the read.
 */
export const FAILURE_DETAILS_PATCH = 'failure-details-from-beneficiary';

/**
 * A recording run whose first read finds no session at Caliza completes with `NOT_VERIFIED_HERE` instead
 * of failing with Caliza's code. Runs recorded before it fail as they did.
 */
export const NOT_VERIFIED_HERE_PATCH = 'not-verified-here-outcome';

/** The longest single attempt of the beneficiary read; the deadline may shorten it. */
const FAILURE_DETAILS_ATTEMPT_MS = 10_000;

/**
 * Reads the beneficiary after a FAILED decision. Two attempts, each bounded so that both together end
 * before the deadline whenever it is at least 3 s away (else after one short attempt): a slow or failing
 * Caliza delays the result by seconds at most, and never turns the decided outcome into a failure.
 */
async function readFailureDetails(beneficiaryId: string, deadlineAt: number): Promise<FailureDetails> {
  const remainingMs = deadlineAt - Date.now();
  const attemptMs = Math.min(
    FAILURE_DETAILS_ATTEMPT_MS,
    Math.max(1_000, Math.floor((remainingMs - 1_000) / 2)),
  );
  const { readBeneficiaryStatus } = proxyLocalActivities<VerificationActivities>({
    startToCloseTimeout: attemptMs,
    retry: { initialInterval: '1s', maximumAttempts: remainingMs >= 3_000 ? 2 : 1 },
  });
  try {
    const read = await readBeneficiaryStatus(beneficiaryId);
    return { beneficiaryStatus: read.status, beneficiaryReason: read.reason, readFailure: null };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
    const why =
      cause instanceof ApplicationFailure
        ? `${cause.type ?? 'CalizaError'}: ${cause.message}`
        : cause instanceof Error
          ? cause.message
          : String(cause);
    return {
      beneficiaryStatus: null,
      beneficiaryReason: null,
      readFailure: `the beneficiary's details could not be read (${why})`,
    };
  }
}

/**
 * Polls are spaced by the session's age (frequent in its first hour, rare after a week) instead of hourly.
 * Only the waits differ, and only once a session is older than its first few polls: the marker is written
 * at the first poll the two schedules would space differently, so the everyday paths never carry it.
 */
export const POLLING_BY_AGE_PATCH = 'polling-by-age';

export async function verifyBeneficiary(input: VerifyBeneficiaryInput): Promise<VerificationResult> {
  const idProblem = beneficiaryIdProblem(input?.beneficiaryId);
  if (idProblem)
    throw ApplicationFailure.nonRetryable(`beneficiaryId ${idProblem}`, INVALID_INPUT_FAILURE_TYPE);
  let state: MachineState = initialState(input, Date.now());
  const metrics = new VerificationMetrics();
  if (input.carried === undefined) metrics.started();
  /** A Caliza error no retry can fix (unknown beneficiary, bad credentials): the run fails with it. */
  let fatal: ApplicationFailure | null = null;
  const update = (event: MachineEvent): void => {
    const now = Date.now();
    const byAge = apply(state, event, now);
    const flat = apply(state, event, now, 'FLAT');
    const same =
      byAge.nextPollAt === flat.nextPollAt && byAge.currentPollIntervalMs === flat.currentPollIntervalMs;
    state = same || patched(POLLING_BY_AGE_PATCH) ? byAge : flat;
  };

  /** Set once the run is about to continue as new: a `session` update still waiting then ends. */
  let draining = false;

  /**
   * The trace of the last webhook taken (its signal's span, when tracing is on): the read that confirms it
   * joins that trace, so one trace runs from the webhook's arrival to the Caliza call it caused.
   */
  let webhookTrace: TraceContext | null = null;

  // Handlers are set before the first await so that a signal delivered with the start is never missed.
  setHandler(verificationEventSignal, (event) => {
    webhookTrace = traceContext.active();
    update({ type: 'WEBHOOK', event });
  });
  setHandler(getStateQuery, () => view(state));
  setHandler(sessionUpdate, async (): Promise<SessionSummary> => {
    await condition(() => state.session !== null || state.outcome !== null || fatal !== null || draining);
    if (fatal) throw fatal;
    if (state.session)
      return { verificationUrl: state.session.verificationUrl, status: state.session.status };
    if (draining) {
      // The next run takes over the session's creation; the client asks it again.
      throw ApplicationFailure.create({
        message: 'the session is not created yet; the verification continues in a new run',
        type: SESSION_UPDATE_RETRY_TYPE,
        nonRetryable: true,
      });
    }
    throw ApplicationFailure.nonRetryable(
      'the verification ended before a session existed',
      NO_SESSION_FAILURE_TYPE,
    );
  });
  setHandler(
    extendDeadlineUpdate,
    ({ deadlineAt }) => {
      update({ type: 'DEADLINE_EXTENDED', deadlineAt: Date.parse(deadlineAt) });
      return { deadlineAt: new Date(state.deadlineAt).toISOString() };
    },
    {
      validator: ({ deadlineAt }) => {
        const at = Date.parse(deadlineAt);
        if (Number.isNaN(at)) throw new Error(`deadlineAt is not an ISO 8601 time: ${deadlineAt}`);
        if (state.outcome) throw new Error('the verification is already decided');
        if (at <= state.deadlineAt) throw new Error('deadlineAt must be later than the current deadline');
      },
    },
  );

  const searchAttributes = new SearchAttributePublisher();
  const callCaliza = async (
    call: (beneficiaryId: string) => Promise<VerificationSession>,
    source: 'CREATE' | 'POLL' | 'CONFIRM',
  ): Promise<void> => {
    try {
      update({ type: 'SESSION_READ', session: await call(state.beneficiaryId), source });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Local activity failures may arrive bare or wrapped in an ActivityFailure.
      const cause = err instanceof ActivityFailure ? err.cause : err;
      const failure = callFailureOf(cause);
      metrics.callFailed(failure.kind, source);
      if (isNotVerifiedHere(state, failure) && patched(NOT_VERIFIED_HERE_PATCH)) {
        update({ type: 'NOT_VERIFIED_HERE', failure });
        return;
      }
      if (cause instanceof ApplicationFailure && isFatal(state, failure.kind)) {
        fatal = ApplicationFailure.create({
          message: `Caliza refused the verification call: ${cause.message}`,
          type: cause.type ?? 'CalizaError',
          nonRetryable: true,
          details: cause.details ?? [],
        });
        // Let the `session` update answer with this failure before the run ends with it.
        await condition(allHandlersFinished);
        throw fatal;
      }
      update({ type: 'CALL_FAILED', failure });
    }
  };

  const continueAsNewDue = (): boolean => {
    const info = workflowInfo();
    return info.historyLength >= state.maxHistoryEventsPerRun || info.continueAsNewSuggested;
  };

  /**
   * Whether a wait for `planned` should end early. The plan is recomputed with the time the wait began,
   * so only an event (a new webhook, a moved deadline) changes it, never a duplicate; and a run whose
   * history is full wakes to continue as new even while nothing else changes.
   */
  const wakeUp = (planned: NextAction, plannedAt: number, deadlineAt: number): boolean => {
    const wake = planKey(nextAction(state, plannedAt)) !== planKey(planned) || continueAsNewDue();
    const before = state.unconfirmed.length > 0 || state.deadlineAt !== deadlineAt;
    if (wake === before) return wake;
    return patched(WAKE_ON_PLAN_CHANGE_PATCH) ? wake : before;
  };

  /** A Caliza call may have run in the current workflow task, whose completion records its result. */
  let callUnrecorded = false;

  try {
    for (;;) {
      searchAttributes.publish(state);
      setCurrentDetails(describeState(state));
      const action = nextAction(state, Date.now());
      switch (action.type) {
        case 'COMPLETE':
          if (needsFailureDetails(state) && patched(FAILURE_DETAILS_PATCH)) {
            update({
              type: 'FAILURE_DETAILS_READ',
              details: await readFailureDetails(state.beneficiaryId, state.deadlineAt),
            });
            break;
          }
          await condition(allHandlersFinished);
          metrics.decided(action.result);
          return action.result;
        case 'CREATE_SESSION':
          callUnrecorded = true;
          await callCaliza(createVerificationSession, 'CREATE');
          break;
        case 'READ_SESSION':
          callUnrecorded = true;
          await traceContext.with(
            action.purpose === 'CONFIRM' && webhookTrace ? webhookTrace : traceContext.active(),
            () => callCaliza(readVerificationSession, action.purpose),
          );
          break;
        case 'WAIT': {
          if (continueAsNewDue()) {
            // No new plan after the timer: its task may come after the back-off has run out (the call's
            // task kept one time for seconds), and planning again would call again instead of continuing.
            // Whatever arrives meanwhile is carried over.
            if (callUnrecorded && patched(RECORD_CALLS_BEFORE_CONTINUE_AS_NEW_PATCH)) await sleep(1);
            draining = true;
            await condition(allHandlersFinished);
            return await continueAsNew<typeof verifyBeneficiary>({
              beneficiaryId: state.beneficiaryId,
              carried: carry(state),
            });
          }
          const plannedAt = Date.now();
          const waitMs = action.until - plannedAt;
          if (waitMs > 0) {
            if (action.reason === 'RETRY') metrics.backoff(planKey(action));
            const deadlineAt = state.deadlineAt;
            // Duplicates must not restart the timer, which would cost two history events each.
            const woken = await condition(() => wakeUp(action, plannedAt, deadlineAt), waitMs, {
              summary:
                action.reason === 'POLL'
                  ? 'Until the next poll'
                  : action.reason === 'RETRY'
                    ? 'Back off after a failed Caliza call'
                    : 'Until the deadline',
            });
            if (woken) break;
            // A timer fired: a new task, so the calls before it are recorded. (A wake by an event may come
            // in the same task as the call and proves nothing.)
            callUnrecorded = false;
          }
          update({ type: 'TIMER_FIRED' });
          break;
        }
      }
    }
  } catch (err) {
    if (isCancellation(err)) searchAttributes.publishCancelled();
    throw err;
  } finally {
    setCurrentDetails(describeState(state));
  }
}

/** The machine's view of a failed call; failures without Caliza's hint (bugs) count as passing. */
function callFailureOf(cause: unknown): CallFailure {
  if (!(cause instanceof ApplicationFailure)) {
    return {
      type: 'Error',
      kind: 'TRANSIENT',
      message: cause instanceof Error ? cause.message : String(cause),
      retryAfterMs: null,
    };
  }
  const hint = cause.details?.[0] as Partial<CallFailureHint> | null | undefined;
  const kind = hint?.kind === 'AUTH' || hint?.kind === 'REFUSED' ? hint.kind : 'TRANSIENT';
  // Older activities marked a refusal only as non-retryable.
  const legacyKind = hint?.kind === undefined && cause.nonRetryable ? 'REFUSED' : kind;
  return {
    type: cause.type ?? 'CalizaError',
    kind: legacyKind,
    message: cause.message,
    retryAfterMs: typeof hint?.retryAfterMs === 'number' ? hint.retryAfterMs : null,
  };
}
