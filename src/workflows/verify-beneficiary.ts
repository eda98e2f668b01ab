/**
 * `verifyBeneficiary`: one run per beneficiary takes a Caliza verification session from creation to an
 * APPROVED or FAILED result. The decisions live in `verification-machine.ts`; this file only performs the
 * actions the machine asks for and feeds their results back.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  metricMeter,
  patched,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type CallFailureHint,
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
import {
  type CallFailure,
  type MachineEvent,
  type MachineState,
  type NextAction,
  apply,
  carry,
  initialState,
  isFatal,
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

export async function verifyBeneficiary(input: VerifyBeneficiaryInput): Promise<VerificationResult> {
  const idProblem = beneficiaryIdProblem(input?.beneficiaryId);
  if (idProblem)
    throw ApplicationFailure.nonRetryable(`beneficiaryId ${idProblem}`, INVALID_INPUT_FAILURE_TYPE);
  let state: MachineState = initialState(input, Date.now());
  /** A Caliza error no retry can fix (unknown beneficiary, bad credentials): the run fails with it. */
  let fatal: ApplicationFailure | null = null;
  const update = (event: MachineEvent): void => {
    state = apply(state, event, Date.now());
  };

  /** Set once the run is about to continue as new: a `session` update still waiting then ends. */
  let draining = false;

  // Handlers are set before the first await so that a signal delivered with the start is never missed.
  setHandler(verificationEventSignal, (event) => update({ type: 'WEBHOOK', event }));
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
  /** Caliza calls that failed for good, by kind and by what the call was for; for dashboards and alerts. */
  const callFailureCounter = metricMeter.createCounter(
    'caliza_call_failures',
    'calls',
    'Caliza calls that failed after their local retries, by failure kind and purpose',
  );
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
      callFailureCounter.add(1, { kind: failure.kind, purpose: source });
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

  try {
    for (;;) {
      searchAttributes.publish(state);
      setCurrentDetails(describeState(state));
      const action = nextAction(state, Date.now());
      switch (action.type) {
        case 'COMPLETE':
          await condition(allHandlersFinished);
          return action.result;
        case 'CREATE_SESSION':
          await callCaliza(createVerificationSession, 'CREATE');
          break;
        case 'READ_SESSION':
          await callCaliza(readVerificationSession, action.purpose);
          break;
        case 'WAIT': {
          if (continueAsNewDue()) {
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
