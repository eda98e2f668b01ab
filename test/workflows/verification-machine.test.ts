import type { VerificationEvent, VerificationSession } from '../../src/contracts';
import {
  type CallFailure,
  type MachineState,
  SEEN_EVENT_KEYS_LIMIT,
  apply,
  carry,
  initialState,
  isFatal,
  needsFailureDetails,
  nextAction,
  planKey,
  view,
} from '../../src/workflows/verification-machine';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const session = (
  status: VerificationSession['status'],
  type: VerificationSession['type'] = 'INDIVIDUAL',
): VerificationSession => ({
  id: 's1',
  beneficiaryId: 'b1',
  type,
  verificationUrl: status === 'PENDING' ? 'https://verify.example/s1' : null,
  status,
  createdDate: '2026-01-01T00:00:00.000Z',
  lastModifiedDate: '2026-01-01T00:00:00.000Z',
});
const event = (
  operation: VerificationEvent['operation'],
  createdAt = 'e1',
  beneficiaryId = 'b1',
): VerificationEvent => ({
  operation,
  beneficiaryId,
  createdAt,
  success: operation === 'BENEFICIARY_APPROVED',
  message: operation === 'BENEFICIARY_FAILED' ? 'ID document unreadable' : null,
});
const unavailable: CallFailure = {
  type: 'CalizaUnavailable',
  kind: 'TRANSIENT',
  message: 'GET /v1/beneficiaries/b1/verification: 503',
  retryAfterMs: null,
};
const created = (
  status: VerificationSession['status'] = 'PENDING',
  type?: VerificationSession['type'],
): MachineState =>
  apply(
    initialState({ beneficiaryId: 'b1' }, T0),
    { type: 'SESSION_READ', session: session(status, type), source: 'CREATE' },
    T0,
  );

/** Polls a session that stays PENDING until the deadline; each gap with the time its wait began. */
function pollsUntilDeadline(
  start: MachineState,
  deadline: number,
): { polls: number; gaps: { at: number; gap: number }[] } {
  let state = { ...start, deadlineAt: deadline };
  let now = T0;
  const gaps: { at: number; gap: number }[] = [];
  for (;;) {
    const action = nextAction(state, now);
    if (action.type !== 'WAIT' || action.reason !== 'POLL') break;
    gaps.push({ at: now, gap: action.until - now });
    now = action.until;
    state = apply(state, { type: 'SESSION_READ', session: session('PENDING'), source: 'POLL' }, now);
  }
  return { polls: state.pollCount, gaps };
}

describe('the verification decision machine', () => {
  it('creates the session first, or reads it in record-outcome mode', () => {
    expect(nextAction(initialState({ beneficiaryId: 'b1' }, T0), T0)).toEqual({ type: 'CREATE_SESSION' });
    expect(nextAction(initialState({ beneficiaryId: 'b1', mode: 'RECORD_OUTCOME' }, T0), T0)).toEqual({
      type: 'READ_SESSION',
      purpose: 'CONFIRM',
    });
  });

  it('with a flat cap, polls after 1, 2, 4 … minutes, capped at it', () => {
    let state = apply(
      initialState({ beneficiaryId: 'b1', polling: { maxIntervalMs: 60 * MIN } }, T0),
      { type: 'SESSION_READ', session: session('PENDING'), source: 'CREATE' },
      T0,
    );
    const gaps: number[] = [];
    let now = T0;
    for (let i = 0; i < 9; i++) {
      const action = nextAction(state, now);
      if (action.type !== 'WAIT') throw new Error(`expected WAIT, got ${action.type}`);
      gaps.push((action.until - now) / MIN);
      now = action.until;
      expect(nextAction(state, now)).toEqual({ type: 'READ_SESSION', purpose: 'POLL' });
      state = apply(state, { type: 'SESSION_READ', session: session('PENDING'), source: 'POLL' }, now);
    }
    expect(gaps).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(state.pollCount).toBe(9);
  });

  it('by default spaces polls by the session age: 10 min in the first hour, then 1 h, 4 h, 12 h', () => {
    const { polls, gaps } = pollsUntilDeadline(created(), T0 + DAY * 30);
    const capAt = (age: number) =>
      age < HOUR ? 10 * MIN : age < DAY ? HOUR : age < 7 * DAY ? 4 * HOUR : 12 * HOUR;
    expect(gaps.slice(0, 8).map((g) => g.gap / MIN)).toEqual([1, 2, 4, 8, 10, 10, 10, 10]);
    // Never longer apart than the cap at the age the wait began: the longest a lost webhook waits.
    for (const { at, gap } of gaps) expect(gap).toBeLessThanOrEqual(capAt(at - T0));
    // Each cap is reached, by doubling from the one before.
    for (const cap of [HOUR, 4 * HOUR, 12 * HOUR]) expect(gaps.some((g) => g.gap === cap)).toBe(true);
    expect(gaps.map((g) => g.gap)).toContain(20 * MIN);
    // By hand (minutes of age): 1, 3, 7, 15, then 25 … 65 (5), 85, 125, 185 … 1385 hourly (21), 1445,
    // 1565, 1805 … 9965 every 4 h (35), 10205, 10685, 11405 … 43085 every 12 h (45): 116 reads, plus the
    // create, 117 Caliza calls over the 30-day deadline (the budget is 150).
    expect(polls).toBe(116);
  });

  it('keeps the hourly schedule for state carried from a run without one, then takes the default', () => {
    const old = created();
    const { byAge: _b, ...flat } = old.polling;
    const carried = { ...carry(old), polling: flat, sessionSeenAt: undefined };
    const next = initialState({ beneficiaryId: 'b1', carried }, T0);
    expect(next.polling.byAge).toEqual(old.polling.byAge);
    const custom = initialState(
      { beneficiaryId: 'b1', carried: { ...carried, polling: { ...flat, maxIntervalMs: 5 * MIN } } },
      T0,
    );
    expect(custom.polling.byAge).toBeUndefined();
  });

  it('spaces polls flat when asked to, as runs before the schedule by age did', () => {
    let state = created();
    let now = T0;
    const gaps: number[] = [];
    for (let i = 0; i < 8; i++) {
      const action = nextAction(state, now);
      if (action.type !== 'WAIT') throw new Error(`expected WAIT, got ${action.type}`);
      gaps.push((action.until - now) / MIN);
      now = action.until;
      state = apply(
        state,
        { type: 'SESSION_READ', session: session('PENDING'), source: 'POLL' },
        now,
        'FLAT',
      );
    }
    expect(gaps).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
  });

  it('confirms a webhook with one read before deciding, and credits the webhook', () => {
    const waiting = apply(created(), { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0 + 1);
    expect(nextAction(waiting, T0 + 1)).toEqual({ type: 'READ_SESSION', purpose: 'CONFIRM' });
    const decided = apply(
      waiting,
      { type: 'SESSION_READ', session: session('SUCCEEDED'), source: 'CONFIRM' },
      T0 + 2,
    );
    expect(decided.outcome).toEqual({
      beneficiaryId: 'b1',
      outcome: 'APPROVED',
      reason: null,
      decidedBy: 'WEBHOOK',
      sessionId: 's1',
      kind: 'KYC',
      decidedAt: new Date(T0 + 2).toISOString(),
    });
    expect(decided.lastEvent?.confirmed).toBe(true);
    expect(nextAction(decided, T0 + 2)).toEqual({ type: 'COMPLETE', result: decided.outcome });
  });

  it('takes the failure reason from the webhook, KYB for a business', () => {
    let state = created('PENDING', 'BUSINESS');
    state = apply(state, { type: 'WEBHOOK', event: event('BENEFICIARY_FAILED') }, T0);
    state = apply(
      state,
      { type: 'SESSION_READ', session: session('FAILED', 'BUSINESS'), source: 'CONFIRM' },
      T0,
    );
    expect(state.outcome).toMatchObject({
      outcome: 'FAILED',
      reason: 'ID document unreadable',
      decidedBy: 'WEBHOOK',
      kind: 'KYB',
    });
  });

  it('lets the session, not the message, settle conflicting or forged events', () => {
    let state = created();
    state = apply(state, { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED', 'a') }, T0);
    state = apply(state, { type: 'WEBHOOK', event: event('BENEFICIARY_FAILED', 'b') }, T0);
    const failed = apply(state, { type: 'SESSION_READ', session: session('FAILED'), source: 'CONFIRM' }, T0);
    expect(failed.outcome).toMatchObject({ outcome: 'FAILED', decidedBy: 'WEBHOOK' });
    // An approval the session does not back is dropped, and the next poll comes soon.
    const forged = apply(created(), { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    const refuted = apply(
      forged,
      { type: 'SESSION_READ', session: session('PENDING'), source: 'CONFIRM' },
      T0 + 10 * MIN,
    );
    expect(refuted.outcome).toBeNull();
    expect(refuted.unconfirmed).toEqual([]);
    expect(refuted.lastEvent?.confirmed).toBe(false);
    expect(nextAction(refuted, T0 + 10 * MIN)).toEqual({
      type: 'WAIT',
      until: T0 + 11 * MIN,
      reason: 'POLL',
    });
  });

  it('keeps events that arrive before the session, and does not let the create refute them', () => {
    let state = initialState({ beneficiaryId: 'b1' }, T0);
    state = apply(state, { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    expect(nextAction(state, T0)).toEqual({ type: 'CREATE_SESSION' });
    state = apply(state, { type: 'SESSION_READ', session: session('PENDING'), source: 'CREATE' }, T0);
    expect(state.unconfirmed).toHaveLength(1);
    expect(nextAction(state, T0)).toEqual({ type: 'READ_SESSION', purpose: 'CONFIRM' });
  });

  it('counts duplicates, ignores other beneficiaries, and never changes a decided outcome', () => {
    let state = created();
    state = apply(state, { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    state = apply(state, { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    state = apply(state, { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED', 'x', 'other') }, T0);
    expect(state.unconfirmed).toHaveLength(1);
    expect([state.duplicateEvents, state.ignoredEvents]).toEqual([1, 1]);
    const decided = apply(
      state,
      { type: 'SESSION_READ', session: session('SUCCEEDED'), source: 'CONFIRM' },
      T0,
    );
    const late = apply(decided, { type: 'WEBHOOK', event: event('BENEFICIARY_FAILED', 'late') }, T0 + MIN);
    const laterRead = apply(
      late,
      { type: 'SESSION_READ', session: session('FAILED'), source: 'POLL' },
      T0 + MIN,
    );
    expect(laterRead.outcome).toEqual(decided.outcome);
    expect(late.ignoredEvents).toBe(2);
  });

  it('bounds the remembered event keys', () => {
    let state = created();
    for (let i = 0; i < SEEN_EVENT_KEYS_LIMIT + 10; i++) {
      state = apply(state, { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED', `k${i}`) }, T0);
    }
    expect(state.seenEventKeys).toHaveLength(SEEN_EVENT_KEYS_LIMIT);
    expect(state.seenEventKeys.at(-1)).toBe(`BENEFICIARY_APPROVED@k${SEEN_EVENT_KEYS_LIMIT + 9}`);
  });

  it('expires at the deadline, which an extension moves', () => {
    const state = created();
    const deadline = T0 + 30 * 24 * 60 * MIN;
    expect(apply(state, { type: 'TIMER_FIRED' }, deadline - 1).outcome).toBeNull();
    expect(apply(state, { type: 'TIMER_FIRED' }, deadline).outcome).toMatchObject({
      outcome: 'FAILED',
      reason: 'EXPIRED',
      decidedBy: 'DEADLINE',
    });
    const extended = apply(state, { type: 'DEADLINE_EXTENDED', deadlineAt: deadline + MIN }, T0);
    expect(apply(extended, { type: 'TIMER_FIRED' }, deadline).outcome).toBeNull();
    expect(view(extended).deadlineAt).toBe(new Date(deadline + MIN).toISOString());
  });

  it('backs off after a failed Caliza call instead of retrying at once', () => {
    const state = apply(created(), { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    const failedCall = apply(state, { type: 'CALL_FAILED', failure: unavailable }, T0);
    expect(nextAction(failedCall, T0)).toEqual({ type: 'WAIT', until: T0 + MIN, reason: 'RETRY' });
    expect(nextAction(failedCall, T0 + MIN)).toEqual({ type: 'READ_SESSION', purpose: 'CONFIRM' });
  });

  it('doubles the back-off over an outage up to the longest poll interval, and resets on success', () => {
    let state = apply(created(), { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    let now = T0;
    const gaps: number[] = [];
    for (let i = 0; i < 9; i++) {
      state = apply(state, { type: 'CALL_FAILED', failure: unavailable }, now);
      const action = nextAction(state, now);
      if (action.type !== 'WAIT') throw new Error(`expected a wait, got ${action.type}`);
      expect(action.reason).toBe('RETRY');
      gaps.push((action.until - now) / MIN);
      now = action.until;
      // The event still waits for its confirming read once the back-off is over.
      expect(nextAction(state, now)).toEqual({ type: 'READ_SESSION', purpose: 'CONFIRM' });
    }
    expect(gaps).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(view(state)).toMatchObject({
      callFailures: 9,
      lastCallFailure: { type: 'CalizaUnavailable', kind: 'TRANSIENT' },
    });
    const read = apply(
      state,
      { type: 'SESSION_READ', session: session('SUCCEEDED'), source: 'CONFIRM' },
      now,
    );
    expect(read.outcome).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
    expect(read.callFailures).toBe(0);
  });

  it('honours a long Retry-After, waits longest after refusals, and never past the deadline', () => {
    const state = created();
    const limited = apply(
      state,
      { type: 'CALL_FAILED', failure: { ...unavailable, type: 'CalizaRateLimited', retryAfterMs: 45 * MIN } },
      T0,
    );
    expect(nextAction(limited, T0)).toEqual({ type: 'WAIT', until: T0 + 45 * MIN, reason: 'RETRY' });
    const refused = apply(
      state,
      { type: 'CALL_FAILED', failure: { ...unavailable, type: 'CalizaHttp401', kind: 'AUTH' } },
      T0,
    );
    expect(nextAction(refused, T0)).toEqual({ type: 'WAIT', until: T0 + 60 * MIN, reason: 'RETRY' });
    const late = apply(state, { type: 'CALL_FAILED', failure: unavailable }, state.deadlineAt - 10_000);
    expect(nextAction(late, state.deadlineAt - 10_000)).toEqual({
      type: 'WAIT',
      until: state.deadlineAt,
      reason: 'RETRY',
    });
  });

  it('ends the run only for a refusal while no session exists', () => {
    const fresh = initialState({ beneficiaryId: 'b1' }, T0);
    const recording = initialState({ beneficiaryId: 'b1', mode: 'RECORD_OUTCOME' }, T0);
    expect(isFatal(fresh, 'REFUSED')).toBe(true);
    expect(isFatal(fresh, 'AUTH')).toBe(true);
    expect(isFatal(fresh, 'TRANSIENT')).toBe(false);
    // Nobody waits on a recording run: credentials may be mid-rotation, so only "unknown" ends it.
    expect(isFatal(recording, 'REFUSED')).toBe(true);
    expect(isFatal(recording, 'AUTH')).toBe(false);
    for (const kind of ['REFUSED', 'AUTH', 'TRANSIENT'] as const)
      expect(isFatal(created(), kind)).toBe(false);
  });

  it('keeps an event pending while the session is PROCESSING, and credits it when the poll decides', () => {
    let state = apply(created(), { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    state = apply(state, { type: 'SESSION_READ', session: session('PROCESSING'), source: 'CONFIRM' }, T0);
    expect(state.unconfirmed).toHaveLength(1);
    expect(state.lastEvent?.confirmed).toBeNull();
    // No second confirming read at once: the next poll, soon, decides.
    expect(nextAction(state, T0)).toEqual({ type: 'WAIT', until: T0 + MIN, reason: 'POLL' });
    expect(nextAction(state, T0 + MIN)).toEqual({ type: 'READ_SESSION', purpose: 'POLL' });
    // While the session stays PROCESSING the polls back off as usual instead of every minute.
    const processing = apply(
      state,
      { type: 'SESSION_READ', session: session('PROCESSING'), source: 'POLL' },
      T0 + MIN,
    );
    expect(nextAction(processing, T0 + MIN)).toEqual({ type: 'WAIT', until: T0 + 3 * MIN, reason: 'POLL' });
    state = apply(state, { type: 'SESSION_READ', session: session('SUCCEEDED'), source: 'POLL' }, T0 + MIN);
    expect(state.outcome).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
    expect(state.lastEvent?.confirmed).toBe(true);
  });

  it('changes its plan on a new event or a moved deadline, never on a duplicate', () => {
    const waiting = apply(created(), { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    const backingOff = apply(waiting, { type: 'CALL_FAILED', failure: unavailable }, T0);
    const plan = planKey(nextAction(backingOff, T0));
    const duplicate = apply(backingOff, { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    expect(planKey(nextAction(duplicate, T0))).toBe(plan);
    // During a back-off a new event cannot be acted on before the back-off ends: same plan.
    const another = apply(backingOff, { type: 'WEBHOOK', event: event('BENEFICIARY_FAILED', 'e2') }, T0);
    expect(planKey(nextAction(another, T0))).toBe(plan);
    const polling = created();
    const pollPlan = planKey(nextAction(polling, T0));
    const woken = apply(polling, { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    expect(planKey(nextAction(woken, T0))).not.toBe(pollPlan);
  });

  it('carries everything a new run needs across continue-as-new', () => {
    let state = created();
    state = apply(state, { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    state = apply(state, { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    const next = initialState({ beneficiaryId: 'b1', carried: carry(state) }, T0 + 5 * MIN);
    expect(next.deadlineAt).toBe(state.deadlineAt);
    expect(next.session).toEqual(state.session);
    expect(next.seenEventKeys).toEqual(state.seenEventKeys);
    expect(next.unconfirmed).toEqual(state.unconfirmed);
    expect(next.duplicateEvents).toBe(1);
    expect(next.runsContinued).toBe(1);
    expect(JSON.parse(JSON.stringify(carry(state)))).toEqual(carry(state));
    // A back-off in progress is carried too, so a new run does not call a failing Caliza at once.
    const backingOff = apply(state, { type: 'CALL_FAILED', failure: unavailable }, T0);
    const resumed = initialState({ beneficiaryId: 'b1', carried: carry(backingOff) }, T0 + 1_000);
    expect(nextAction(resumed, T0 + 1_000)).toEqual({ type: 'WAIT', until: T0 + MIN, reason: 'RETRY' });
    expect(resumed.callFailures).toBe(1);
  });

  it('picks up state carried by a run of the previous version', () => {
    let state = created();
    state = apply(state, { type: 'WEBHOOK', event: event('BENEFICIARY_APPROVED') }, T0);
    const {
      confirmPending: _p,
      callFailures: _f,
      lastCallFailure: _l,
      retryCallsAt: _r,
      ...older
    } = carry(state);
    const next = initialState({ beneficiaryId: 'b1', carried: older }, T0);
    expect(nextAction(next, T0)).toEqual({ type: 'READ_SESSION', purpose: 'CONFIRM' });
    expect(view(next)).toMatchObject({ callFailures: 0, lastCallFailure: null, retryCallsAt: null });
  });

  it('rejects a polling schedule that cannot work', () => {
    expect(() => initialState({ beneficiaryId: 'b1', polling: { initialIntervalMs: 0 } }, T0)).toThrow(
      RangeError,
    );
    expect(() => initialState({ beneficiaryId: 'b1', polling: { multiplier: 0.5 } }, T0)).toThrow(RangeError);
    for (const byAge of [
      [],
      [{ fromAgeMs: MIN, maxIntervalMs: HOUR }],
      [
        { fromAgeMs: 0, maxIntervalMs: HOUR },
        { fromAgeMs: 0, maxIntervalMs: 2 * HOUR },
      ],
      [{ fromAgeMs: 0, maxIntervalMs: 1_000 }],
    ]) {
      expect(() => initialState({ beneficiaryId: 'b1', polling: { byAge } }, T0)).toThrow(RangeError);
    }
  });

  describe('failure details from the beneficiary', () => {
    const details = (reason: string | null) => ({
      type: 'FAILURE_DETAILS_READ' as const,
      details: { beneficiaryStatus: 'FAILED', beneficiaryReason: reason, readFailure: null },
    });
    const polledFailed = apply(
      created(),
      { type: 'SESSION_READ', session: session('FAILED'), source: 'POLL' },
      T0,
    );

    it('are wanted after a FAILED session, replace only the placeholder reason, and are taken once', () => {
      expect(needsFailureDetails(polledFailed)).toBe(true);
      const read = apply(polledFailed, details('Selfie mismatch'), T0);
      expect(read.outcome).toMatchObject({
        outcome: 'FAILED',
        reason: 'Selfie mismatch',
        decidedBy: 'POLL',
        failureDetails: {
          beneficiaryStatus: 'FAILED',
          beneficiaryReason: 'Selfie mismatch',
          readFailure: null,
        },
      });
      expect(needsFailureDetails(read)).toBe(false);
      expect(apply(read, details('something else'), T0)).toBe(read);

      const byWebhook = apply(
        apply(created(), { type: 'WEBHOOK', event: event('BENEFICIARY_FAILED') }, T0),
        { type: 'SESSION_READ', session: session('FAILED'), source: 'CONFIRM' },
        T0,
      );
      expect(apply(byWebhook, details('Selfie mismatch'), T0).outcome?.reason).toBe('ID document unreadable');
    });

    it('are not wanted for an approval or an expiry, and keep the placeholder when none is given', () => {
      const approvedState = apply(
        created(),
        { type: 'SESSION_READ', session: session('SUCCEEDED'), source: 'POLL' },
        T0,
      );
      expect(needsFailureDetails(approvedState)).toBe(false);
      const expired = apply(created(), { type: 'TIMER_FIRED' }, T0 + 31 * 24 * 60 * MIN);
      expect(expired.outcome?.reason).toBe('EXPIRED');
      expect(needsFailureDetails(expired)).toBe(false);
      expect(apply(expired, details('x'), T0)).toBe(expired);
      expect(apply(polledFailed, details(null), T0).outcome?.reason).toBe('VERIFICATION_FAILED');
    });
  });
});
