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
  type CarriedState,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_HISTORY_EVENTS,
  DEFAULT_POLLING,
  type PollingOptions,
  REASON_EXPIRED,
  REASON_VERIFICATION_FAILED,
  type VerificationEvent,
  type VerificationResult,
  type VerificationSession,
  type VerificationStateView,
  type VerifyBeneficiaryInput,
  kindOf,
} from '../contracts';

export interface MachineState extends CarriedState {
  beneficiaryId: string;
  /** Set when a read failed for a passing reason: no further Caliza call before this time. */
  retryCallsAt: number | null;
  outcome: VerificationResult | null;
}

export type MachineEvent =
  | { type: 'SESSION_READ'; session: VerificationSession; source: 'CREATE' | 'POLL' | 'CONFIRM' }
  | { type: 'CALL_FAILED' }
  | { type: 'WEBHOOK'; event: VerificationEvent }
  | { type: 'TIMER_FIRED' }
  | { type: 'DEADLINE_EXTENDED'; deadlineAt: number };

export type NextAction =
  | { type: 'CREATE_SESSION' }
  | { type: 'READ_SESSION'; purpose: 'POLL' | 'CONFIRM' }
  | { type: 'WAIT'; until: number; reason: 'POLL' | 'DEADLINE' | 'RETRY' }
  | { type: 'COMPLETE'; result: VerificationResult };

/** How many recent event keys are kept for de-duplication; Caliza sends two outcome events per session. */
export const SEEN_EVENT_KEYS_LIMIT = 64;

export function initialState(input: VerifyBeneficiaryInput, now: number): MachineState {
  if (input.carried) {
    return { ...input.carried, beneficiaryId: input.beneficiaryId, retryCallsAt: null, outcome: null };
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
    retryCallsAt: null,
    outcome: null,
  };
}

export function resolvePolling(partial: Partial<PollingOptions> | undefined): PollingOptions {
  const polling = { ...DEFAULT_POLLING, ...partial };
  if (!(polling.initialIntervalMs > 0) || !(polling.maxIntervalMs >= polling.initialIntervalMs)) {
    throw new RangeError('polling needs 0 < initialIntervalMs <= maxIntervalMs');
  }
  if (!(polling.multiplier >= 1)) throw new RangeError('polling.multiplier must be >= 1');
  return polling;
}

/** Duplicate deliveries of one webhook carry the same body, so operation and event time identify it. */
export function eventKey(event: VerificationEvent): string {
  return `${event.operation}@${event.createdAt}`;
}

export function apply(state: MachineState, event: MachineEvent, now: number): MachineState {
  switch (event.type) {
    case 'WEBHOOK':
      return applyWebhook(state, event.event, now);
    case 'SESSION_READ':
      return applySessionRead(state, event.session, event.source, now);
    case 'CALL_FAILED':
      return { ...state, retryCallsAt: now + state.polling.initialIntervalMs };
    case 'TIMER_FIRED':
      if (state.outcome || now < state.deadlineAt) return state;
      return decide(state, { outcome: 'FAILED', reason: REASON_EXPIRED, decidedBy: 'DEADLINE' }, now);
    case 'DEADLINE_EXTENDED':
      return state.outcome ? state : { ...state, deadlineAt: event.deadlineAt };
  }
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
): MachineState {
  if (state.outcome) return state;
  const polled = source === 'POLL';
  let next: MachineState = {
    ...state,
    session,
    retryCallsAt: null,
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
  if (source === 'CREATE') return scheduleNextPoll(next, now);
  if (state.unconfirmed.length > 0) {
    // The session does not (yet) agree with the events: forget them, and look again soon, since a
    // genuine event means the outcome is close.
    next = markLastEvent(
      { ...next, unconfirmed: [], currentPollIntervalMs: state.polling.initialIntervalMs },
      false,
    );
  }
  return scheduleNextPoll(next, now);
}

function scheduleNextPoll(state: MachineState, now: number): MachineState {
  const { multiplier, maxIntervalMs } = state.polling;
  return {
    ...state,
    nextPollAt: now + state.currentPollIntervalMs,
    currentPollIntervalMs: Math.min(Math.round(state.currentPollIntervalMs * multiplier), maxIntervalMs),
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
  if (state.unconfirmed.length > 0) return { type: 'READ_SESSION', purpose: 'CONFIRM' };
  if (state.nextPollAt !== null && now >= state.nextPollAt) return { type: 'READ_SESSION', purpose: 'POLL' };
  const pollAt = state.nextPollAt ?? state.deadlineAt;
  return pollAt < state.deadlineAt
    ? { type: 'WAIT', until: pollAt, reason: 'POLL' }
    : { type: 'WAIT', until: state.deadlineAt, reason: 'DEADLINE' };
}

/** What a new run needs; the outcome is never carried because a decided run completes instead. */
export function carry(state: MachineState): CarriedState {
  const { beneficiaryId: _b, retryCallsAt: _r, outcome: _o, ...carried } = state;
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
    outcome: state.outcome,
  };
}
