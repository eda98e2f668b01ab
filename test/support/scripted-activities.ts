import type { SessionStatus, VerificationActivities, VerificationSession } from '../../src/contracts';

/**
 * Activity doubles for workflow tests: each beneficiary's session answers reads with a scripted sequence
 * of statuses (the last one repeats), and every call is counted.
 */
export class ScriptedCaliza {
  readonly calls: { name: 'create' | 'read'; beneficiaryId: string }[] = [];
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

  count(name: 'create' | 'read', beneficiaryId?: string): number {
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
      if (!session) throw new Error(`no session for ${beneficiaryId}`);
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
