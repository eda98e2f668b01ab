/** The demo's beneficiaries: one story per outcome an operator can meet. */
import type { StartVerificationOptions } from '../../src/client/verification-client';
import type { DecidedBy } from '../../src/contracts';
import type { Decision } from './hosted-page';

/** The outcome as the `VerificationOutcome` search attribute names it. */
export type OutcomeLabel = 'APPROVED' | 'FAILED' | 'EXPIRED' | 'CANCELLED' | 'NOT_VERIFIED_HERE';

export type ScenarioAction =
  | { kind: 'decide'; decision: Decision; reason?: string; dropWebhook?: boolean }
  | { kind: 'cancel' }
  | { kind: 'wait-for-deadline' };

export interface Scenario {
  name: string;
  type: 'INDIVIDUAL' | 'BUSINESS';
  /** What happens to it, in a few words. */
  story: string;
  action: ScenarioAction;
  start: StartVerificationOptions;
  expected: { outcome: OutcomeLabel; decidedBy: DecidedBy | null; reason?: string };
}

export interface DemoTiming {
  /** Deadline of the verification left to expire. */
  expiringDeadlineMs: number;
  /** Polling of the verification whose webhook is dropped, so that polling decides it within seconds. */
  fastPolling: NonNullable<StartVerificationOptions['polling']>;
}

export const DEFAULT_DEMO_TIMING: DemoTiming = {
  expiringDeadlineMs: 12_000,
  fastPolling: { initialIntervalMs: 2_000, multiplier: 1.5, maxIntervalMs: 5_000 },
};

export function demoScenarios(timing: DemoTiming = DEFAULT_DEMO_TIMING): Scenario[] {
  return [
    {
      name: 'ana',
      type: 'INDIVIDUAL',
      story: 'approves on the hosted page; the webhook decides',
      action: { kind: 'decide', decision: 'approve' },
      start: {},
      expected: { outcome: 'APPROVED', decidedBy: 'WEBHOOK' },
    },
    {
      name: 'acme',
      type: 'BUSINESS',
      story: 'KYB approved on the hosted page; the webhook decides',
      action: { kind: 'decide', decision: 'approve' },
      start: {},
      expected: { outcome: 'APPROVED', decidedBy: 'WEBHOOK' },
    },
    {
      name: 'bruno',
      type: 'INDIVIDUAL',
      story: 'rejected on the hosted page ("Document expired"); the webhook decides',
      action: { kind: 'decide', decision: 'reject', reason: 'Document expired' },
      start: {},
      expected: { outcome: 'FAILED', decidedBy: 'WEBHOOK', reason: 'Document expired' },
    },
    {
      name: 'globex',
      type: 'BUSINESS',
      story: 'KYB rejected on the hosted page; the webhook decides',
      action: { kind: 'decide', decision: 'reject' },
      start: {},
      expected: { outcome: 'FAILED', decidedBy: 'WEBHOOK' },
    },
    {
      name: 'carla',
      type: 'INDIVIDUAL',
      story: 'approved, but Caliza drops the webhook; polling decides',
      action: { kind: 'decide', decision: 'approve', dropWebhook: true },
      start: { polling: timing.fastPolling },
      expected: { outcome: 'APPROVED', decidedBy: 'POLL' },
    },
    {
      name: 'dario',
      type: 'INDIVIDUAL',
      story: `never decides; expires at its ${Math.round(timing.expiringDeadlineMs / 1000)} s deadline`,
      action: { kind: 'wait-for-deadline' },
      start: { deadlineMs: timing.expiringDeadlineMs },
      expected: { outcome: 'EXPIRED', decidedBy: 'DEADLINE', reason: 'EXPIRED' },
    },
    {
      name: 'initech',
      type: 'BUSINESS',
      story: 'cancelled by an operator while pending',
      action: { kind: 'cancel' },
      start: {},
      expected: { outcome: 'CANCELLED', decidedBy: null },
    },
  ];
}
