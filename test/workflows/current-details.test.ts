import type { VerificationSession } from '../../src/contracts';
import { CURRENT_DETAILS_MAX_LINES, describeState } from '../../src/workflows/current-details';
import { type MachineState, apply, initialState } from '../../src/workflows/verification-machine';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
/** What fits one line of the Web UI's details frame at a 1600 px wide window (measured by test/ui). */
const LINE_CHARACTERS = 85;

const session = (status: VerificationSession['status']): VerificationSession => ({
  id: '6925dd986a93002882da640b',
  beneficiaryId: '6925dd986a93002882da640c',
  type: 'BUSINESS',
  verificationUrl: null,
  status,
  createdDate: '2026-01-01T00:00:00.000Z',
  lastModifiedDate: '2026-01-01T00:00:00.000Z',
});

/** Everything that adds a line: an event, duplicates, failing calls, then (or not) the outcome. */
function busiest(decided: boolean): MachineState {
  let state = initialState({ beneficiaryId: '6925dd986a93002882da640c' }, T0);
  state = apply(state, { type: 'SESSION_READ', session: session('PROCESSING'), source: 'CREATE' }, T0);
  const event = {
    operation: 'BENEFICIARY_FAILED' as const,
    beneficiaryId: state.beneficiaryId,
    createdAt: '2026-01-01T00:00:01.123456',
    success: false,
    message: 'The registration certificate could not be matched with the public registry entry',
  };
  state = apply(state, { type: 'WEBHOOK', event }, T0);
  state = apply(state, { type: 'WEBHOOK', event }, T0);
  const failure = {
    type: 'CalizaUnavailable',
    kind: 'TRANSIENT' as const,
    message: 'GET /v1/beneficiaries/x/verification: 503',
    retryAfterMs: null,
  };
  state = apply(state, { type: 'CALL_FAILED', failure }, T0 + 1_000);
  if (decided) {
    state = apply(
      state,
      { type: 'SESSION_READ', session: session('FAILED'), source: 'CONFIRM' },
      T0 + 60_000,
    );
  }
  return state;
}

describe("the Web UI's current details", () => {
  it.each([false, true])(
    'fit in four short lines at their busiest (decided: %s), ending in a newline',
    (decided) => {
      const text = describeState(busiest(decided));
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.trimEnd().split('\n');
      expect(lines.length).toBeLessThanOrEqual(CURRENT_DETAILS_MAX_LINES);
      for (const line of lines) {
        expect(line.startsWith('- ')).toBe(true);
        const shown = line.replace(/\*\*|`/g, '').slice(2);
        expect([shown, shown.length <= LINE_CHARACTERS]).toEqual([shown, true]);
      }
      const plain = text.replace(/\*\*|`/g, '');
      expect(plain).toContain('Last event: BENEFICIARY_FAILED');
      expect(plain).toContain(
        decided ? 'FAILED (The registration certificate' : 'Caliza failing: 1 in a row',
      );
    },
  );
});
