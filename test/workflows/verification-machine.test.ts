import type { VerificationEvent, VerificationSession } from '../../src/contracts';
import {
  type MachineState,
  SEEN_EVENT_KEYS_LIMIT,
  apply,
  carry,
  initialState,
  nextAction,
  view,
} from '../../src/workflows/verification-machine';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const MIN = 60_000;
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
const created = (
  status: VerificationSession['status'] = 'PENDING',
  type?: VerificationSession['type'],
): MachineState =>
  apply(
    initialState({ beneficiaryId: 'b1' }, T0),
    { type: 'SESSION_READ', session: session(status, type), source: 'CREATE' },
    T0,
  );

describe('the verification decision machine', () => {
  it('creates the session first, or reads it in record-outcome mode', () => {
    expect(nextAction(initialState({ beneficiaryId: 'b1' }, T0), T0)).toEqual({ type: 'CREATE_SESSION' });
    expect(nextAction(initialState({ beneficiaryId: 'b1', mode: 'RECORD_OUTCOME' }, T0), T0)).toEqual({
      type: 'READ_SESSION',
      purpose: 'CONFIRM',
    });
  });

  it('polls after 1, 2, 4 … minutes, capped at an hour', () => {
    let state = created();
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
    const failedCall = apply(state, { type: 'CALL_FAILED' }, T0);
    expect(nextAction(failedCall, T0)).toEqual({ type: 'WAIT', until: T0 + MIN, reason: 'RETRY' });
    expect(nextAction(failedCall, T0 + MIN)).toEqual({ type: 'READ_SESSION', purpose: 'CONFIRM' });
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
  });

  it('rejects a polling schedule that cannot work', () => {
    expect(() => initialState({ beneficiaryId: 'b1', polling: { initialIntervalMs: 0 } }, T0)).toThrow(
      RangeError,
    );
    expect(() => initialState({ beneficiaryId: 'b1', polling: { multiplier: 0.5 } }, T0)).toThrow(RangeError);
  });
});
