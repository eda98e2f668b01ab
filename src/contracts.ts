/**
 * The verification contract shared by the workflow, the worker, the client library, the webhook receiver
 * and the tests. Nothing here does I/O, so workflow code may import it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { beneficiaryIdProblem } from './caliza/beneficiary-id';
import type {
  OutcomeOperation,
  SessionStatus,
  VerificationKind,
  VerificationSession,
} from './caliza/vocabulary';

export { beneficiaryIdProblem };
// The Caliza terms the workflow's messages are made of.
export {
  type BeneficiaryType,
  type OutcomeOperation,
  type SessionStatus,
  type VerificationKind,
  type VerificationSession,
  OUTCOME_OPERATIONS,
  SESSION_STATUSES,
  kindOf,
} from './caliza/vocabulary';

/** The part of Caliza's webhook envelope that reaches the workflow, as one signal type. */
export interface VerificationEvent {
  operation: OutcomeOperation;
  beneficiaryId: string;
  /** Caliza's event time, as sent (ISO 8601, often without a zone designator). */
  createdAt: string;
  success: boolean | null;
  message: string | null;
}

/**
 * `NOT_VERIFIED_HERE`: a recording run (started by a webhook for a beneficiary with no verification here)
 * found no session at Caliza to confirm the event against (`verification.not_found`, or
 * `beneficiary.not_found`). Nothing was verified, nothing failed: the run completes with this outcome,
 * which operators filter on (`VerificationOutcome="NOT_VERIFIED_HERE"`), and a later `start` verifies anew.
 */
export type Outcome = 'APPROVED' | 'FAILED' | 'NOT_VERIFIED_HERE';
/** Caliza's codes that tell a recording run there is no session to confirm its event against. */
export const NOT_VERIFIED_HERE_CODES: readonly string[] = ['verification.not_found', 'beneficiary.not_found'];
export type DecidedBy = 'WEBHOOK' | 'POLL' | 'DEADLINE';
/** Reason for a FAILED outcome when Caliza gave none. */
export const REASON_VERIFICATION_FAILED = 'VERIFICATION_FAILED';
export const REASON_EXPIRED = 'EXPIRED';

/**
 * What Caliza's beneficiary says about a FAILED session (`GET /v1/beneficiaries/{id}`): Caliza's
 * verification page sends there for the reason.
 */
export interface BeneficiaryStatusRead {
  /** The beneficiary's `status`, as Caliza sends it. */
  status: string;
  /** Its reason for the failure, when it gives one. */
  reason: string | null;
}

/** The beneficiary's side of a FAILED verification, read once after the decision. */
export interface FailureDetails {
  /** The beneficiary's status at Caliza (the double answers `FAILED`); null when it could not be read. */
  beneficiaryStatus: string | null;
  /** The beneficiary's reason; null when Caliza gave none or it could not be read. */
  beneficiaryReason: string | null;
  /** Null when read; else that the details could not be read, and why (the outcome stands). */
  readFailure: string | null;
}

export interface VerificationResult {
  beneficiaryId: string;
  outcome: Outcome;
  /**
   * Why it failed: the webhook's message, else the beneficiary's reason, else `VERIFICATION_FAILED`; or
   * `EXPIRED`. For `NOT_VERIFIED_HERE`, Caliza's code. Null when approved.
   */
  reason: string | null;
  /**
   * Set on a FAILED outcome decided by Caliza's session (webhook or poll), not on EXPIRED. Absent in the
   * results of runs started before it existed.
   */
  failureDetails?: FailureDetails;
  decidedBy: DecidedBy;
  sessionId: string | null;
  kind: VerificationKind | null;
  /** ISO 8601 time of the decision (workflow time). */
  decidedAt: string;
}

/** From `fromAgeMs` after the session was created, polls are at most `maxIntervalMs` apart. */
export interface PollingStep {
  fromAgeMs: number;
  maxIntervalMs: number;
}

/**
 * Polling schedule: first poll after `initialIntervalMs`, then multiplied by `multiplier` up to the cap.
 * With `byAge` the cap grows with the session's age; without it the cap is `maxIntervalMs`, which also
 * bounds the back-off after failed Caliza calls either way.
 */
export interface PollingOptions {
  initialIntervalMs: number;
  multiplier: number;
  maxIntervalMs: number;
  /** Ascending by `fromAgeMs`, the first from 0. Absent in state carried by older runs. */
  byAge?: PollingStep[];
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * Most users finish (or abandon) the hosted verification within minutes, and webhooks normally say so;
 * polling only covers lost webhooks. So it is frequent while an outcome is likely and rare later: at most
 * 10 min apart in the first hour, 1 h for the rest of the first day, 4 h in the first week, 12 h after.
 * That is also the longest a lost webhook's outcome waits to be seen at that age; 117 Caliza calls
 * over the 30-day deadline instead of 725 at a flat hour (docs/benchmarks.md, section 5).
 */
export const DEFAULT_POLLING_BY_AGE: readonly PollingStep[] = [
  { fromAgeMs: 0, maxIntervalMs: 10 * MINUTE_MS },
  { fromAgeMs: HOUR_MS, maxIntervalMs: HOUR_MS },
  { fromAgeMs: DAY_MS, maxIntervalMs: 4 * HOUR_MS },
  { fromAgeMs: 7 * DAY_MS, maxIntervalMs: 12 * HOUR_MS },
];

export const DEFAULT_POLLING: PollingOptions = {
  initialIntervalMs: MINUTE_MS,
  multiplier: 2,
  maxIntervalMs: HOUR_MS,
  byAge: [...DEFAULT_POLLING_BY_AGE],
};

export const DEFAULT_DEADLINE_MS = 30 * 24 * 60 * 60_000;
/** A run continues as new past this many history events, keeping every run far below Temporal's limits. */
export const DEFAULT_MAX_HISTORY_EVENTS = 500;

/**
 * `VERIFY` creates (or reuses) the session. `RECORD_OUTCOME` is started by a webhook for a beneficiary with
 * no running verification: it reads the existing session to confirm the event and never creates one.
 */
export type VerificationMode = 'VERIFY' | 'RECORD_OUTCOME';

export interface VerifyBeneficiaryInput {
  beneficiaryId: string;
  mode?: VerificationMode;
  polling?: Partial<PollingOptions>;
  /** Time from the first run's start to the deadline. */
  deadlineMs?: number;
  maxHistoryEventsPerRun?: number;
  /** Set only by continue-as-new: the state the previous run ended with. */
  carried?: CarriedState;
}

/** Last webhook event the workflow took into account, for operators. */
export interface LastEvent {
  operation: OutcomeOperation;
  createdAt: string;
  receivedAt: string;
  /** Whether a read of the session agreed with it. Null until read. */
  confirmed: boolean | null;
}

/** Everything a run needs to pick up where the previous one stopped. Plain JSON. */
export interface CarriedState {
  mode: VerificationMode;
  polling: PollingOptions;
  maxHistoryEventsPerRun: number;
  deadlineAt: number;
  session: VerificationSession | null;
  /** Webhook events accepted but not yet checked against the session. */
  unconfirmed: VerificationEvent[];
  /** Keys of webhook events already taken, bounded, for de-duplication across runs. */
  seenEventKeys: string[];
  pollCount: number;
  currentPollIntervalMs: number;
  lastPollAt: number | null;
  nextPollAt: number | null;
  lastEvent: LastEvent | null;
  duplicateEvents: number;
  ignoredEvents: number;
  runsContinued: number;
  /**
   * Whether the unconfirmed events still wait for a read. False after a read that found the session still
   * PROCESSING: the events stay pending and the next poll decides. Absent in state carried by older runs.
   */
  confirmPending?: boolean;
  /** Caliza calls that failed for good in a row; reset by the next successful call. */
  callFailures?: number;
  lastCallFailure?: CallFailureRecord | null;
  /** Set while backing off after failed Caliza calls: no call before this time (epoch ms). */
  retryCallsAt?: number | null;
  /** When this verification first saw its session (epoch ms, workflow time): polling by age counts from it. */
  sessionSeenAt?: number | null;
}

/** The last Caliza call that failed for good, for operators. */
export interface CallFailureRecord {
  /** The failure type: Caliza's code, `CalizaUnavailable`, `CalizaRateLimited`, … */
  type: string;
  kind: CallFailureKind;
  message: string;
  /** ISO 8601 time of the failure (workflow time). */
  at: string;
}

/** The snapshot the `getState` query returns. */
export interface VerificationStateView {
  beneficiaryId: string;
  mode: VerificationMode;
  /** Latest known session status, or NOT_CREATED before the session exists. */
  status: SessionStatus | 'NOT_CREATED';
  verificationUrl: string | null;
  kind: VerificationKind | null;
  sessionId: string | null;
  polls: number;
  lastPollAt: string | null;
  nextPollAt: string | null;
  deadlineAt: string;
  lastEvent: LastEvent | null;
  duplicateEvents: number;
  ignoredEvents: number;
  runsContinued: number;
  /** Caliza calls that failed for good in a row (0 while Caliza answers). */
  callFailures: number;
  lastCallFailure: CallFailureRecord | null;
  /** Set while the run backs off after failed Caliza calls: no call before this time. */
  retryCallsAt: string | null;
  outcome: VerificationResult | null;
}

/** What the `session` update answers once the session exists. */
export interface SessionSummary {
  verificationUrl: string | null;
  status: SessionStatus;
}

export const verificationEventSignal = defineSignal<[VerificationEvent]>('verificationEvent');
export const getStateQuery = defineQuery<VerificationStateView>('getState');
export const sessionUpdate = defineUpdate<SessionSummary>('session');
/** Moves the deadline later; validated (ISO 8601 instant in the future, after the current deadline). */
export const extendDeadlineUpdate = defineUpdate<{ deadlineAt: string }, [{ deadlineAt: string }]>(
  'extendDeadline',
);

/**
 * Version of the wire contract (docs/contract.md): names, ids, policies and payloads other languages rely
 * on. A change a caller could notice bumps it, and docs/contract.json is regenerated (npm run contract).
 */
export const CONTRACT_VERSION = 1;

export const WORKFLOW_TYPE = 'verifyBeneficiary';
export const DEFAULT_TASK_QUEUE = 'caliza-kyc';
export const WORKFLOW_ID_PREFIX = 'kyc-beneficiary-';

/** The one place that builds a beneficiary's workflow id. */
export function workflowIdFor(beneficiaryId: string): string {
  const problem = beneficiaryIdProblem(beneficiaryId);
  // Caliza could never be asked about such an id: refuse it before a run exists for it.
  if (problem) throw new Error(`beneficiaryId ${problem}`);
  return `${WORKFLOW_ID_PREFIX}${beneficiaryId}`;
}

/**
 * How the workflow treats a Caliza call that failed for good (its local retries are over). The activities
 * put it in the failure's `details[0]`; a failure without it (a bug, not Caliza's answer) counts as
 * TRANSIENT.
 * - TRANSIENT: 408, 429, 5xx, network failures, a 2xx whose body is not the documented shape.
 * - AUTH: 401 after the client's one refresh, 403, and the token endpoint's refusals (`invalid_grant`, …).
 * - REFUSED: every other answer that says the request itself is wrong (400, 404, 409, 412, 422, a bad id).
 */
export type CallFailureKind = 'TRANSIENT' | 'AUTH' | 'REFUSED';

/** What the workflow reads from a Caliza failure's `details[0]`. */
export interface CallFailureHint {
  kind: CallFailureKind;
  /** Caliza's `Retry-After`, clamped to [1 s, 1 h (the client's cap)]; null when it sent none. */
  retryAfterMs: number | null;
}

/**
 * Failure type of the `session` update when its run continued as new before the session existed (a long
 * Caliza outage during a start): the update is not lost, the caller asks the new run again.
 */
export const SESSION_UPDATE_RETRY_TYPE = 'SessionPendingInNextRun';
/** Failure type of a run whose input names a beneficiary id Caliza could never be asked about. */
export const INVALID_INPUT_FAILURE_TYPE = 'InvalidInput';
/** Failure type of the `session` update when the run ended without a session. */
export const NO_SESSION_FAILURE_TYPE = 'NoSession';

/** The activities the workflow calls; implemented over the Caliza client in `src/activities`. */
export interface VerificationActivities {
  /** Creates the interactive session, or returns the existing one while it is PENDING. */
  createVerificationSession(beneficiaryId: string): Promise<VerificationSession>;
  readVerificationSession(beneficiaryId: string): Promise<VerificationSession>;
  /** Reads the beneficiary's status and failure reason, after a FAILED session. */
  readBeneficiaryStatus(beneficiaryId: string): Promise<BeneficiaryStatusRead>;
}
