import type { FaultInjector } from './fault-injector';
import type { AutoDecideConfig } from './options';
import type { Scheduler } from './scheduler';
import type { SandboxStats } from './stats';
import {
  beneficiaryView,
  type BeneficiaryRecord,
  type SandboxStore,
  type SessionDecision,
  type SessionRecord,
} from './store';
import { webhookEnvelope, type WebhookDispatcher } from './webhook-dispatcher';
import {
  BENEFICIARY_STATUS_APPROVED,
  BENEFICIARY_STATUS_FAILED,
  DEFAULT_FAILURE_REASON,
} from './undocumented-behaviour';

export type Decision = 'approve' | 'reject';
export type DecisionSource = SessionDecision['source'];

export type DecisionResult = { ok: true; session: SessionRecord } | { ok: false; session: SessionRecord };

/**
 * The session lifecycle: PENDING → (decision) → PROCESSING → (processing delay) → SUCCEEDED | FAILED, the
 * beneficiary following, and one outcome webhook per decided session.
 */
export class VerificationFlow {
  autoDecide: AutoDecideConfig | null;

  constructor(
    private readonly deps: {
      store: SandboxStore;
      stats: SandboxStats;
      faults: FaultInjector;
      scheduler: Scheduler;
      webhooks: WebhookDispatcher;
      processingDelayMs: number;
      hostedUrlFor: (sessionId: string) => string;
    },
    autoDecide: AutoDecideConfig | null,
  ) {
    this.autoDecide = autoDecide;
  }

  /** Returns the session to show for `POST …/verification`, creating one when the rules say so. */
  requestSession(beneficiary: BeneficiaryRecord): { session: SessionRecord; created: boolean } {
    const current = this.deps.store.currentSession(beneficiary);
    // PENDING is documented; PROCESSING and SUCCEEDED are returned as-is by choice; FAILED opens a new one.
    if (current && current.status !== 'FAILED') return { session: current, created: false };
    if (beneficiary.status === BENEFICIARY_STATUS_FAILED) {
      beneficiary.status = 'PENDING';
      beneficiary.rejectionReason = null;
    }
    const session = this.deps.store.createSession(beneficiary, this.deps.hostedUrlFor);
    this.deps.stats.sessionCreated(beneficiary.id);
    this.scheduleAutoDecision(session);
    return { session, created: true };
  }

  decide(
    session: SessionRecord,
    requested: Decision,
    source: DecisionSource,
    reason: string | null,
  ): DecisionResult {
    if (session.status !== 'PENDING') return { ok: false, session };
    const applied = this.deps.faults.applyForcedOutcome(requested);
    session.decision = {
      requested,
      applied,
      source,
      reason: applied === 'reject' ? (reason ?? DEFAULT_FAILURE_REASON) : null,
      decidedAt: new Date().toISOString(),
    };
    this.deps.store.setSessionStatus(session, 'PROCESSING');
    this.deps.scheduler.after(this.deps.processingDelayMs, () => this.finish(session));
    return { ok: true, session };
  }

  private finish(session: SessionRecord): void {
    const beneficiary = this.deps.store.findBeneficiary(session.beneficiaryId);
    const decision = session.decision;
    if (!beneficiary || !decision || session.status !== 'PROCESSING') return;
    const approved = decision.applied === 'approve';
    this.deps.store.setSessionStatus(session, approved ? 'SUCCEEDED' : 'FAILED');
    beneficiary.status = approved ? BENEFICIARY_STATUS_APPROVED : BENEFICIARY_STATUS_FAILED;
    beneficiary.kycVerified = approved;
    beneficiary.rejectionReason = approved ? null : decision.reason;
    this.deps.webhooks.emit(
      webhookEnvelope(
        approved ? 'BENEFICIARY_APPROVED' : 'BENEFICIARY_FAILED',
        this.deps.store.integratorId,
        beneficiaryView(beneficiary),
        decision.reason,
      ),
    );
  }

  private scheduleAutoDecision(session: SessionRecord): void {
    const config = this.autoDecide;
    if (!config) return;
    const random = this.deps.faults.decisions;
    const delayMs = random.between(config.minDelayMs, config.maxDelayMs);
    const decision: Decision = random.chance(config.approveShare) ? 'approve' : 'reject';
    this.deps.scheduler.after(delayMs, () => {
      // A person or a test may have decided first; then there is nothing left to do.
      if (session.status === 'PENDING') this.decide(session, decision, 'auto-decide', null);
    });
  }
}
