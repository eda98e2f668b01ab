import { ApplicationFailure } from '@temporalio/common';
import type { SessionStatus, VerificationActivities, VerificationSession } from '../../src/contracts';

/**
 * Activity doubles for workflow tests: each beneficiary's session answers reads with a scripted sequence
 * of statuses (the last one repeats), and every call is counted.
 */
export class ScriptedCaliza {
  readonly calls: { name: 'create' | 'read' | 'beneficiary'; beneficiaryId: string }[] = [];
  /** The beneficiary's rejection reason while its session is FAILED (none unless set). */
  readonly rejectionReasons = new Map<string, string>();
  /** Beneficiaries whose beneficiary read fails, as when Caliza is down. */
  readonly beneficiaryReadsFailing = new Set<string>();
  private readonly scripts = new Map<string, SessionStatus[]>();
  private readonly sessions = new Map<string, VerificationSession>();
  createDelayMs = 0;

  /** Statuses the session reports on successive reads after creation. */
  script(beneficiaryId: string, ...statuses: SessionStatus[]): this {
    this.scripts.set(beneficiaryId, statuses);
    return this;
  }

  /** A session that exists at Caliza before any workflow created it. */
  seed(beneficiaryId: string, status: SessionStatus): this {
    this.sessions.set(beneficiaryId, { ...this.newSession(beneficiaryId), status });
    return this;
  }

  count(name: 'create' | 'read' | 'beneficiary', beneficiaryId?: string): number {
    return this.calls.filter((c) => c.name === name && (!beneficiaryId || c.beneficiaryId === beneficiaryId))
      .length;
  }

  readonly activities: VerificationActivities = {
    createVerificationSession: async (beneficiaryId) => {
      this.calls.push({ name: 'create', beneficiaryId });
      if (this.createDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.createDelayMs));
      // Like Caliza: a PENDING session is returned again; after an outcome a new one is opened.
      const existing = this.sessions.get(beneficiaryId);
      if (existing?.status === 'PENDING') return existing;
      const session = this.newSession(beneficiaryId);
      this.sessions.set(beneficiaryId, session);
      return session;
    },
    readVerificationSession: async (beneficiaryId) => {
      this.calls.push({ name: 'read', beneficiaryId });
      const session = this.sessions.get(beneficiaryId);
      if (!session) {
        // As the activity reports Caliza's 404 for a beneficiary without a session.
        throw ApplicationFailure.create({
          message: `GET /v1/beneficiaries/${beneficiaryId}/verification: 404 verification.not_found`,
          type: 'verification.not_found',
          nonRetryable: true,
          details: [{ kind: 'REFUSED', retryAfterMs: null, status: 404 }],
        });
      }
      const script = this.scripts.get(beneficiaryId) ?? [];
      const status = script.length > 1 ? (script.shift() as SessionStatus) : (script[0] ?? session.status);
      const updated = {
        ...session,
        status,
        verificationUrl: status === 'PENDING' ? session.verificationUrl : null,
      };
      this.sessions.set(beneficiaryId, updated);
      return updated;
    },
    readBeneficiaryStatus: async (beneficiaryId) => {
      this.calls.push({ name: 'beneficiary', beneficiaryId });
      if (this.beneficiaryReadsFailing.has(beneficiaryId)) {
        throw ApplicationFailure.create({
          message: `GET /v1/beneficiaries/${beneficiaryId}: 503`,
          type: 'CalizaUnavailable',
          details: [{ kind: 'TRANSIENT', retryAfterMs: null, status: 503 }],
        });
      }
      // Like the double: the beneficiary follows its session, and says why while FAILED.
      const status = this.sessions.get(beneficiaryId)?.status;
      const failed = status === 'FAILED';
      return {
        status: failed ? 'FAILED' : status === 'SUCCEEDED' ? 'APPROVED' : 'PENDING',
        reason: failed ? (this.rejectionReasons.get(beneficiaryId) ?? null) : null,
      };
    },
  };

  private newSession(beneficiaryId: string): VerificationSession {
    const created = this.count('create', beneficiaryId);
    return {
      id: created > 1 ? `session-${beneficiaryId}-${created}` : `session-${beneficiaryId}`,
      beneficiaryId,
      type: beneficiaryId.startsWith('biz') ? 'BUSINESS' : 'INDIVIDUAL',
      verificationUrl: `https://verify.example/${beneficiaryId}`,
      status: 'PENDING',
      createdDate: '2026-01-01T00:00:00.000Z',
      lastModifiedDate: '2026-01-01T00:00:00.000Z',
    };
  }
}
