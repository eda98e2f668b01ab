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
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type SessionSummary,
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
  type MachineEvent,
  type MachineState,
  apply,
  carry,
  initialState,
  nextAction,
  view,
} from './verification-machine';

/**
 * Local activities: both calls are short, idempotent HTTP requests (the create returns the existing PENDING
 * session), so running them inside the workflow task saves two history events and a task-queue round trip
 * per call, which is most of the webhook-to-result latency. 15 s covers the client's 10 s HTTP timeout plus
 * a token fetch; 5 minutes of retries (1 s doubling to 30 s) rides out a brief Caliza outage, after which
 * the machine backs off and tries again on its own schedule, always bounded by the deadline.
 */
const calizaCallOptions = {
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
} as const;
const { createVerificationSession, readVerificationSession } =
  proxyLocalActivities<VerificationActivities>(calizaCallOptions);

export async function verifyBeneficiary(input: VerifyBeneficiaryInput): Promise<VerificationResult> {
  if (typeof input?.beneficiaryId !== 'string' || input.beneficiaryId.length === 0) {
    throw ApplicationFailure.nonRetryable('beneficiaryId is required', 'InvalidInput');
  }
  let state: MachineState = initialState(input, Date.now());
  /** A Caliza error no retry can fix (unknown beneficiary, bad credentials): the run fails with it. */
  let fatal: ApplicationFailure | null = null;
  const update = (event: MachineEvent): void => {
    state = apply(state, event, Date.now());
  };

  // Handlers are set before the first await so that a signal delivered with the start is never missed.
  setHandler(verificationEventSignal, (event) => update({ type: 'WEBHOOK', event }));
  setHandler(getStateQuery, () => view(state));
  setHandler(sessionUpdate, async (): Promise<SessionSummary> => {
    await condition(() => state.session !== null || state.outcome !== null || fatal !== null);
    if (fatal) throw fatal;
    if (!state.session)
      throw ApplicationFailure.nonRetryable('the verification ended before a session existed', 'NoSession');
    return { verificationUrl: state.session.verificationUrl, status: state.session.status };
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
      if (cause instanceof ApplicationFailure && cause.nonRetryable) {
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
      update({ type: 'CALL_FAILED' });
    }
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
          const info = workflowInfo();
          if (info.historyLength >= state.maxHistoryEventsPerRun || info.continueAsNewSuggested) {
            await condition(allHandlersFinished);
            return await continueAsNew<typeof verifyBeneficiary>({
              beneficiaryId: state.beneficiaryId,
              carried: carry(state),
            });
          }
          const waitMs = action.until - Date.now();
          if (waitMs > 0) {
            const deadlineAt = state.deadlineAt;
            // Only a new webhook event or a moved deadline changes the plan before the timer fires;
            // duplicates must not restart the timer, which would cost two history events each.
            const woken = await condition(
              () => state.unconfirmed.length > 0 || state.deadlineAt !== deadlineAt,
              waitMs,
              {
                summary:
                  action.reason === 'POLL'
                    ? 'Until the next poll'
                    : action.reason === 'RETRY'
                      ? 'Back off after a failed Caliza call'
                      : 'Until the deadline',
              },
            );
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
