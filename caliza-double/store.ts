import type { BeneficiaryType, SessionStatus } from '../src/caliza/vocabulary';
import type { BusinessInput, PersonInput } from './beneficiary-schema';
import { createObjectIdGenerator } from './ids';
import { isoMillis, isoNanos } from './timestamps';
import { type BENEFICIARY_STATUS_APPROVED, BENEFICIARY_STATUS_FAILED } from './undocumented-behaviour';

/** Beneficiary `status` values the double uses (Caliza documents only PENDING; see undocumented-behaviour). */
export type BeneficiaryStatus =
  'PENDING' | typeof BENEFICIARY_STATUS_APPROVED | typeof BENEFICIARY_STATUS_FAILED;

export interface BeneficiaryRecord {
  id: string;
  integratorId: string;
  integratorBeneficiaryId: string;
  type: BeneficiaryType;
  active: boolean;
  kycVerified: boolean;
  status: BeneficiaryStatus;
  /** Why the last verification failed, while the status is FAILED (see undocumented-behaviour). */
  rejectionReason: string | null;
  createdDate: string;
  person: PersonInput | null;
  business: BusinessInput | null;
  /** The latest session; older ones stay in `sessionIds`. */
  currentSessionId: string | null;
  sessionIds: string[];
}

export interface SessionRecord {
  id: string;
  beneficiaryId: string;
  type: BeneficiaryType;
  verificationType: 'INTERACTIVE';
  /** Kept after PENDING so the hosted page still resolves; the API shows null then. */
  hostedUrl: string;
  status: SessionStatus;
  createdDate: string;
  lastModifiedDate: string;
  decision: SessionDecision | null;
}

export interface SessionDecision {
  requested: 'approve' | 'reject';
  /** What was applied (differs from `requested` under a forced outcome). */
  applied: 'approve' | 'reject';
  source: 'hosted-page' | 'admin' | 'auto-decide';
  reason: string | null;
  decidedAt: string;
}

/** The beneficiary object as Caliza returns it (and as webhook `data`). */
export interface BeneficiaryView {
  id: string;
  integratorId: string;
  integratorBeneficiaryId: string;
  type: BeneficiaryType;
  active: boolean;
  kycVerified: boolean;
  status: BeneficiaryStatus;
  /** Left out unless the status is FAILED, as Caliza leaves out null fields of its objects. */
  rejectionReason?: string;
  createdDate: string;
  person?: PersonInput;
  business?: BusinessInput;
}

/** The session object exactly as Caliza's KYC/KYB verification page documents it. */
export interface SessionView {
  id: string;
  beneficiaryId: string;
  type: BeneficiaryType;
  verificationType: 'INTERACTIVE';
  verificationUrl: string | null;
  status: SessionStatus;
  createdDate: string;
  lastModifiedDate: string;
}

export function beneficiaryView(record: BeneficiaryRecord): BeneficiaryView {
  const view: BeneficiaryView = {
    id: record.id,
    integratorId: record.integratorId,
    integratorBeneficiaryId: record.integratorBeneficiaryId,
    type: record.type,
    active: record.active,
    kycVerified: record.kycVerified,
    status: record.status,
    ...(record.status === BENEFICIARY_STATUS_FAILED && record.rejectionReason !== null
      ? { rejectionReason: record.rejectionReason }
      : {}),
    createdDate: record.createdDate,
  };
  if (record.person) view.person = record.person;
  if (record.business) view.business = record.business;
  return view;
}

export function sessionView(record: SessionRecord): SessionView {
  return {
    id: record.id,
    beneficiaryId: record.beneficiaryId,
    type: record.type,
    verificationType: record.verificationType,
    verificationUrl: record.status === 'PENDING' ? record.hostedUrl : null,
    status: record.status,
    createdDate: record.createdDate,
    lastModifiedDate: record.lastModifiedDate,
  };
}

export interface NewBeneficiary {
  integratorBeneficiaryId: string;
  type: BeneficiaryType;
  person: PersonInput | null;
  business: BusinessInput | null;
}

/** All state, in Maps keyed for every lookup a request makes: no request scans a collection. */
export class SandboxStore {
  private readonly newId = createObjectIdGenerator();
  private readonly beneficiaries = new Map<string, BeneficiaryRecord>();
  private readonly byIntegratorBeneficiaryId = new Map<string, string>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly sessionsByStatus: Record<SessionStatus, number> = {
    PENDING: 0,
    PROCESSING: 0,
    SUCCEEDED: 0,
    FAILED: 0,
  };
  callbackUrl: string;
  webhookSecret: string;

  constructor(
    readonly integratorId: string,
    initial: { callbackUrl: string; webhookSecret: string },
  ) {
    this.callbackUrl = initial.callbackUrl;
    this.webhookSecret = initial.webhookSecret;
  }

  findBeneficiary(id: string): BeneficiaryRecord | undefined {
    return this.beneficiaries.get(id);
  }

  hasIntegratorBeneficiaryId(integratorBeneficiaryId: string): boolean {
    return this.byIntegratorBeneficiaryId.has(integratorBeneficiaryId);
  }

  createBeneficiary(input: NewBeneficiary): BeneficiaryRecord {
    const record: BeneficiaryRecord = {
      id: this.newId(),
      integratorId: this.integratorId,
      integratorBeneficiaryId: input.integratorBeneficiaryId,
      type: input.type,
      active: true,
      kycVerified: false,
      status: 'PENDING',
      rejectionReason: null,
      createdDate: isoNanos(),
      person: input.person,
      business: input.business,
      currentSessionId: null,
      sessionIds: [],
    };
    this.beneficiaries.set(record.id, record);
    this.byIntegratorBeneficiaryId.set(record.integratorBeneficiaryId, record.id);
    return record;
  }

  findSession(id: string): SessionRecord | undefined {
    return this.sessions.get(id);
  }

  currentSession(beneficiary: BeneficiaryRecord): SessionRecord | undefined {
    return beneficiary.currentSessionId === null
      ? undefined
      : this.sessions.get(beneficiary.currentSessionId);
  }

  createSession(beneficiary: BeneficiaryRecord, hostedUrlFor: (sessionId: string) => string): SessionRecord {
    const id = this.newId();
    const now = isoMillis();
    const record: SessionRecord = {
      id,
      beneficiaryId: beneficiary.id,
      type: beneficiary.type,
      verificationType: 'INTERACTIVE',
      hostedUrl: hostedUrlFor(id),
      status: 'PENDING',
      createdDate: now,
      lastModifiedDate: now,
      decision: null,
    };
    this.sessions.set(id, record);
    this.sessionsByStatus.PENDING += 1;
    beneficiary.currentSessionId = id;
    beneficiary.sessionIds.push(id);
    return record;
  }

  setSessionStatus(session: SessionRecord, status: SessionStatus): void {
    this.sessionsByStatus[session.status] -= 1;
    this.sessionsByStatus[status] += 1;
    session.status = status;
    session.lastModifiedDate = isoMillis();
  }

  sessionsHistory(beneficiary: BeneficiaryRecord): SessionRecord[] {
    return beneficiary.sessionIds.flatMap((id) => {
      const session = this.sessions.get(id);
      return session ? [session] : [];
    });
  }

  counts(): { beneficiaries: number; sessions: number; sessionsByStatus: Record<SessionStatus, number> } {
    return {
      beneficiaries: this.beneficiaries.size,
      sessions: this.sessions.size,
      sessionsByStatus: { ...this.sessionsByStatus },
    };
  }
}
