/**
 * Every decision of the verification, as pure functions: state × event → state, and state → next action.
 * The workflow is a loop around these; tests drive them without a server.
 *
 * Approving and failing webhooks are both confirmed by one read of the session before they decide
 * anything. Caliza's signature has no timestamp or nonce, so a captured genuine webhook could be replayed
 * later; and approval lets money move. One read makes the session, not the message, the source of truth,
 * which also settles conflicting events without guessing their order.
 */
import {
  type CallFailureKind,
  type CarriedState,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_HISTORY_EVENTS,
  DEFAULT_POLLING,
  DEFAULT_POLLING_BY_AGE,
  type FailureDetails,
  NOT_VERIFIED_HERE_CODES,
  type PollingOptions,
  type PollingStep,
  REASON_EXPIRED,
  REASON_VERIFICATION_FAILED,
  type VerificationEvent,
  type VerificationResult,
  type VerificationSession,
  type VerificationStateView,
  type VerifyBeneficiaryInput,
  kindOf,
} from '../contracts';

export interface MachineState extends Required<CarriedState> {
  beneficiaryId: string;
  outcome: VerificationResult | null;
}

/** A Caliza call that failed for good: its local retries are over. */
export interface CallFailure {
  type: string;
  kind: CallFailureKind;
  message: string;
  /** Caliza's `Retry-After` (already clamped by the activity), or null. */
  retryAfterMs: number | null;
}

export type MachineEvent =
  | { type: 'SESSION_READ'; session: VerificationSession; source: 'CREATE' | 'POLL' | 'CONFIRM' }
  | { type: 'CALL_FAILED'; failure: CallFailure }
  | { type: 'WEBHOOK'; event: VerificationEvent }
  | { type: 'TIMER_FIRED' }
  | { type: 'DEADLINE_EXTENDED'; deadlineAt: number }
  | { type: 'FAILURE_DETAILS_READ'; details: FailureDetails }
  | { type: 'NOT_VERIFIED_HERE'; failure: CallFailure };

export type NextAction =
  | { type: 'CREATE_SESSION' }
  | { type: 'READ_SESSION'; purpose: 'POLL' | 'CONFIRM' }
  | { type: 'WAIT'; until: number; reason: 'POLL' | 'DEADLINE' | 'RETRY' }
  | { type: 'COMPLETE'; result: VerificationResult };

/** How many recent event keys are kept for de-duplication; Caliza sends two outcome events per session. */
export const SEEN_EVENT_KEYS_LIMIT = 64;

/** Longest message kept from a failed call; Caliza's text is for operators, not for the history. */
const FAILURE_MESSAGE_LIMIT = 300;

export function initialState(input: VerifyBeneficiaryInput, now: number): MachineState {
  if (input.carried) {
    const carried = input.carried;
    return {
      ...carried,
      // State carried by runs of an older version lacks these.
      confirmPending: carried.confirmPending ?? carried.unconfirmed.length > 0,
      callFailures: carried.callFailures ?? 0,
      lastCallFailure: carried.lastCallFailure ?? null,
      retryCallsAt: carried.retryCallsAt ?? null,
      polling: withDefaultSchedule(carried.polling),
      sessionSeenAt: carried.sessionSeenAt ?? null,
      beneficiaryId: input.beneficiaryId,
      outcome: null,
    };
  }
  const polling = resolvePolling(input.polling);
  return {
    beneficiaryId: input.beneficiaryId,
    mode: input.mode ?? 'VERIFY',
    polling,
    maxHistoryEventsPerRun: input.maxHistoryEventsPerRun ?? DEFAULT_MAX_HISTORY_EVENTS,
    deadlineAt: now + (input.deadlineMs ?? DEFAULT_DEADLINE_MS),
    session: null,
    unconfirmed: [],
    seenEventKeys: [],
    pollCount: 0,
    currentPollIntervalMs: polling.initialIntervalMs,
    lastPollAt: null,
    nextPollAt: null,
    lastEvent: null,
    duplicateEvents: 0,
    ignoredEvents: 0,
    runsContinued: 0,
    confirmPending: false,
    callFailures: 0,
    lastCallFailure: null,
    retryCallsAt: null,
    sessionSeenAt: null,
    outcome: null,
  };
}

/**
 * The defaults, then `partial`. A flat `maxIntervalMs` given without `byAge` is a flat schedule: the caller
 * asked for that cap, and the default steps would override it.
 */
export function resolvePolling(partial: Partial<PollingOptions> | undefined): PollingOptions {
  const { byAge: defaultByAge, ...flat } = DEFAULT_POLLING;
  const byAge = partial?.byAge ?? (partial?.maxIntervalMs === undefined ? defaultByAge : undefined);
  const polling: PollingOptions = { ...flat, ...partial, ...(byAge && { byAge }) };
  if (!byAge) delete polling.byAge;
  if (!(polling.initialIntervalMs > 0) || !(polling.maxIntervalMs >= polling.initialIntervalMs)) {
    throw new RangeError('polling needs 0 < initialIntervalMs <= maxIntervalMs');
  }
  if (!(polling.multiplier >= 1)) throw new RangeError('polling.multiplier must be >= 1');
  if (polling.byAge) checkSteps(polling.byAge, polling.initialIntervalMs);
  return polling;
}

function checkSteps(steps: readonly PollingStep[], initialIntervalMs: number): void {
  if (steps.length === 0 || steps[0]?.fromAgeMs !== 0) {
    throw new RangeError('polling.byAge needs a first step from age 0');
  }
  steps.forEach((step, i) => {
    if (i > 0 && !(step.fromAgeMs > (steps[i - 1] as PollingStep).fromAgeMs)) {
      throw new RangeError('polling.byAge must be in ascending order of fromAgeMs');
    }
    if (!(step.maxIntervalMs >= initialIntervalMs)) {
      throw new RangeError('each polling.byAge maxIntervalMs must be >= initialIntervalMs');
    }
  });
}

/** The flat default of older runs, carried into a new run, takes the schedule by age from then on. */
function withDefaultSchedule(polling: PollingOptions): PollingOptions {
  if (polling.byAge) return polling;
  const { byAge: _b, ...flat } = DEFAULT_POLLING;
  const isOldDefault = (Object.keys(flat) as (keyof typeof flat)[]).every((k) => polling[k] === flat[k]);
  return isOldDefault ? { ...polling, byAge: [...DEFAULT_POLLING_BY_AGE] } : polling;
}

/** The longest wait between polls at `ageMs` after the session was first seen. */
export function pollCapAt(polling: PollingOptions, ageMs: number): number {
  if (!polling.byAge) return polling.maxIntervalMs;
  let cap = polling.maxIntervalMs;
  for (const step of polling.byAge) if (ageMs >= step.fromAgeMs) cap = step.maxIntervalMs;
  return cap;
}

/** Duplicate deliveries of one webhook carry the same body, so operation and event time identify it. */
export function eventKey(event: VerificationEvent): string {
  return `${event.operation}@${event.createdAt}`;
}

/**
 * The state after `event`. `spacing` FLAT spaces polls as runs did before the schedule by age, for
 * histories recorded then (the workflow asks `patched()` which one a run uses, only where they differ).
 */
export function apply(
  state: MachineState,
  event: MachineEvent,
  now: number,
  spacing: PollSpacing = 'BY_AGE',
): MachineState {
  switch (event.type) {
    case 'WEBHOOK':
      return applyWebhook(state, event.event, now);
    case 'SESSION_READ':
      return applySessionRead(state, event.session, event.source, now, spacing);
    case 'CALL_FAILED':
      return applyCallFailure(state, event.failure, now);
    case 'TIMER_FIRED':
      if (state.outcome || now < state.deadlineAt) return state;
      return decide(state, { outcome: 'FAILED', reason: REASON_EXPIRED, decidedBy: 'DEADLINE' }, now);
    case 'DEADLINE_EXTENDED':
      return state.outcome ? state : { ...state, deadlineAt: event.deadlineAt };
    case 'FAILURE_DETAILS_READ':
      return applyFailureDetails(state, event.details);
    case 'NOT_VERIFIED_HERE':
      if (!isNotVerifiedHere(state, event.failure)) return state;
      return decide(
        state,
        { outcome: 'NOT_VERIFIED_HERE', reason: event.failure.type, decidedBy: 'POLL' },
        now,
      );
  }
}

/**
 * Whether a failed call tells a recording run that Caliza has no session for its beneficiary: the event
 * cannot be confirmed because nothing was verified, which is an outcome of its own, not a technical failure.
 */
export function isNotVerifiedHere(state: MachineState, failure: CallFailure): boolean {
  return (
    state.mode === 'RECORD_OUTCOME' &&
    state.session === null &&
    state.outcome === null &&
    failure.kind === 'REFUSED' &&
    NOT_VERIFIED_HERE_CODES.includes(failure.type)
  );
}

/**
 * Whether the decided outcome still lacks the beneficiary's side: a FAILED session (by webhook or poll)
 * sends the integrator to the beneficiary's status for the reason. An expiry has no such reason.
 */
export function needsFailureDetails(state: MachineState): boolean {
  const outcome = state.outcome;
  return outcome?.outcome === 'FAILED' && outcome.decidedBy !== 'DEADLINE' && !outcome.failureDetails;
}

/** Adds what the beneficiary said; its reason replaces only the placeholder, never a webhook's message. */
function applyFailureDetails(state: MachineState, details: FailureDetails): MachineState {
  if (!state.outcome || !needsFailureDetails(state)) return state;
  const clip = (text: string | null): string | null =>
    text === null ? null : text.slice(0, FAILURE_MESSAGE_LIMIT);
  const failureDetails: FailureDetails = {
    beneficiaryStatus: clip(details.beneficiaryStatus),
    beneficiaryReason: clip(details.beneficiaryReason),
    readFailure: clip(details.readFailure),
  };
  const reason =
    state.outcome.reason === REASON_VERIFICATION_FAILED && failureDetails.beneficiaryReason !== null
      ? failureDetails.beneficiaryReason
      : state.outcome.reason;
  return { ...state, outcome: { ...state.outcome, reason, failureDetails } };
}

function applyWebhook(state: MachineState, event: VerificationEvent, now: number): MachineState {
  if (event.beneficiaryId !== state.beneficiaryId)
    return { ...state, ignoredEvents: state.ignoredEvents + 1 };
  const key = eventKey(event);
  if (state.seenEventKeys.includes(key)) return { ...state, duplicateEvents: state.duplicateEvents + 1 };
  const seenEventKeys = [...state.seenEventKeys, key].slice(-SEEN_EVENT_KEYS_LIMIT);
  // A decided outcome is final: late and conflicting events are only counted.
  if (state.outcome) return { ...state, seenEventKeys, ignoredEvents: state.ignoredEvents + 1 };
  return {
    ...state,
    seenEventKeys,
    unconfirmed: [...state.unconfirmed, event],
    confirmPending: true,
    lastEvent: {
      operation: event.operation,
      createdAt: event.createdAt,
      receivedAt: new Date(now).toISOString(),
      confirmed: null,
    },
  };
}

function applySessionRead(
  state: MachineState,
  session: VerificationSession,
  source: 'CREATE' | 'POLL' | 'CONFIRM',
  now: number,
  spacing: PollSpacing,
): MachineState {
  if (state.outcome) return state;
  const polled = source === 'POLL';
  let next: MachineState = {
    ...state,
    session,
    sessionSeenAt: state.sessionSeenAt ?? now,
    retryCallsAt: null,
    callFailures: 0,
    // Whatever the read says, the events it could check have been checked.
    confirmPending: source === 'CREATE' ? state.confirmPending : false,
    pollCount: polled ? state.pollCount + 1 : state.pollCount,
    lastPollAt: polled ? now : state.lastPollAt,
  };
  const approvedEvent = state.unconfirmed.find((e) => e.operation === 'BENEFICIARY_APPROVED');
  const failedEvent = state.unconfirmed.find((e) => e.operation === 'BENEFICIARY_FAILED');
  if (session.status === 'SUCCEEDED') {
    next = markLastEvent(next, next.lastEvent?.operation === 'BENEFICIARY_APPROVED');
    return decide(
      next,
      { outcome: 'APPROVED', reason: null, decidedBy: approvedEvent ? 'WEBHOOK' : 'POLL' },
      now,
    );
  }
  if (session.status === 'FAILED') {
    next = markLastEvent(next, next.lastEvent?.operation === 'BENEFICIARY_FAILED');
    const reason = failedEvent?.message ?? REASON_VERIFICATION_FAILED;
    return decide(next, { outcome: 'FAILED', reason, decidedBy: failedEvent ? 'WEBHOOK' : 'POLL' }, now);
  }
  // The session that a create returns may predate the events; only a later read can refute them.
  if (source === 'CREATE') return scheduleNextPoll(next, now, spacing);
  if (state.unconfirmed.length > 0) {
    // A genuine event means the outcome is close: look again soon, once per new event (reads of events
    // already checked, while the session stays PROCESSING, back off as usual).
    if (state.confirmPending) next = { ...next, currentPollIntervalMs: state.polling.initialIntervalMs };
    // Still PENDING refutes the events: forget them. PROCESSING (or a status Caliza has not documented)
    // neither confirms nor refutes them: they stay pending and the next poll decides.
    if (session.status === 'PENDING') next = markLastEvent({ ...next, unconfirmed: [] }, false);
  }
  return scheduleNextPoll(next, now, spacing);
}

/**
 * Only a call made while no session exists can end the run: a VERIFY run's create, answered to the caller
 * waiting on `start()`, and a RECORD_OUTCOME run's first read of a beneficiary Caliza does not know. Once
 * a session exists nothing Caliza answers ends the run early: credentials get rotated, gateways answer
 * HTML during a deploy, and a verification whose user already holds a URL must not be dropped over it.
 */
export function isFatal(state: MachineState, kind: CallFailureKind): boolean {
  if (state.session !== null || state.outcome !== null) return false;
  return state.mode === 'VERIFY' ? kind !== 'TRANSIENT' : kind === 'REFUSED';
}

/**
 * Back-off after a failed call. Passing failures double from the first poll interval up to the longest;
 * refusals and auth failures, which no quick retry fixes, wait the longest interval straight away. A
 * `Retry-After` is never cut short. The deadline still bounds the wait (see `nextAction`).
 */
export function backOffMs(state: MachineState, failure: CallFailure): number {
  const { initialIntervalMs, maxIntervalMs } = state.polling;
  const doubled = initialIntervalMs * 2 ** Math.min(state.callFailures, 30);
  const base = failure.kind === 'TRANSIENT' ? Math.min(doubled, maxIntervalMs) : maxIntervalMs;
  return Math.max(base, failure.retryAfterMs ?? 0);
}

function applyCallFailure(state: MachineState, failure: CallFailure, now: number): MachineState {
  if (state.outcome) return state;
  return {
    ...state,
    retryCallsAt: now + backOffMs(state, failure),
    callFailures: state.callFailures + 1,
    lastCallFailure: {
      type: failure.type,
      kind: failure.kind,
      message: failure.message.slice(0, FAILURE_MESSAGE_LIMIT),
      at: new Date(now).toISOString(),
    },
  };
}

/** How polls are spaced: by the session's age (the default), or flat as every run before it did. */
export type PollSpacing = 'BY_AGE' | 'FLAT';

function scheduleNextPoll(state: MachineState, now: number, spacing: PollSpacing): MachineState {
  const { multiplier, maxIntervalMs, byAge } = state.polling;
  if (spacing === 'FLAT' || !byAge) {
    return {
      ...state,
      nextPollAt: now + state.currentPollIntervalMs,
      currentPollIntervalMs: Math.min(Math.round(state.currentPollIntervalMs * multiplier), maxIntervalMs),
    };
  }
  const interval = Math.min(
    state.currentPollIntervalMs,
    pollCapAt(state.polling, now - (state.sessionSeenAt ?? now)),
  );
  const longest = Math.max(...byAge.map((step) => step.maxIntervalMs));
  return {
    ...state,
    nextPollAt: now + interval,
    // Grows from the interval actually used, so a later, higher cap is reached by doubling, not at once.
    currentPollIntervalMs: Math.min(Math.round(interval * multiplier), longest),
  };
}

function markLastEvent(state: MachineState, confirmed: boolean): MachineState {
  if (!state.lastEvent || state.lastEvent.confirmed !== null) return state;
  return { ...state, lastEvent: { ...state.lastEvent, confirmed } };
}

function decide(
  state: MachineState,
  decision: Pick<VerificationResult, 'outcome' | 'reason' | 'decidedBy'>,
  now: number,
): MachineState {
  return {
    ...state,
    unconfirmed: [],
    confirmPending: false,
    retryCallsAt: null,
    nextPollAt: null,
    outcome: {
      beneficiaryId: state.beneficiaryId,
      ...decision,
      sessionId: state.session?.id ?? null,
      kind: state.session ? kindOf(state.session.type) : null,
      decidedAt: new Date(now).toISOString(),
    },
  };
}

export function nextAction(state: MachineState, now: number): NextAction {
  if (state.outcome) return { type: 'COMPLETE', result: state.outcome };
  if (now >= state.deadlineAt) return { type: 'WAIT', until: now, reason: 'DEADLINE' };
  if (state.retryCallsAt !== null && now < state.retryCallsAt) {
    return { type: 'WAIT', until: Math.min(state.retryCallsAt, state.deadlineAt), reason: 'RETRY' };
  }
  if (state.session === null) {
    return state.mode === 'VERIFY'
      ? { type: 'CREATE_SESSION' }
      : { type: 'READ_SESSION', purpose: 'CONFIRM' };
  }
  if (state.confirmPending && state.unconfirmed.length > 0)
    return { type: 'READ_SESSION', purpose: 'CONFIRM' };
  if (state.nextPollAt !== null && now >= state.nextPollAt) return { type: 'READ_SESSION', purpose: 'POLL' };
  const pollAt = state.nextPollAt ?? state.deadlineAt;
  return pollAt < state.deadlineAt
    ? { type: 'WAIT', until: pollAt, reason: 'POLL' }
    : { type: 'WAIT', until: state.deadlineAt, reason: 'DEADLINE' };
}

/**
 * A key that is equal for two actions exactly when they are the same plan, so a wait can tell whether an
 * event changed what the run would do.
 */
export function planKey(action: NextAction): string {
  switch (action.type) {
    case 'COMPLETE':
      return 'COMPLETE';
    case 'CREATE_SESSION':
      return 'CREATE_SESSION';
    case 'READ_SESSION':
      return `READ_SESSION:${action.purpose}`;
    case 'WAIT':
      return `WAIT:${action.reason}:${action.until}`;
  }
}

/** What a new run needs; the outcome is never carried because a decided run completes instead. */
export function carry(state: MachineState): CarriedState {
  const { beneficiaryId: _b, outcome: _o, ...carried } = state;
  return { ...carried, runsContinued: state.runsContinued + 1 };
}

export function view(state: MachineState): VerificationStateView {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    beneficiaryId: state.beneficiaryId,
    mode: state.mode,
    status: state.session?.status ?? 'NOT_CREATED',
    verificationUrl: state.session?.verificationUrl ?? null,
    kind: state.session ? kindOf(state.session.type) : null,
    sessionId: state.session?.id ?? null,
    polls: state.pollCount,
    lastPollAt: iso(state.lastPollAt),
    nextPollAt: iso(state.nextPollAt),
    deadlineAt: new Date(state.deadlineAt).toISOString(),
    lastEvent: state.lastEvent,
    duplicateEvents: state.duplicateEvents,
    ignoredEvents: state.ignoredEvents,
    runsContinued: state.runsContinued,
    callFailures: state.callFailures,
    lastCallFailure: state.lastCallFailure,
    retryCallsAt: iso(state.retryCallsAt),
    outcome: state.outcome,
  };
}
