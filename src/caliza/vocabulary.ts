/**
 * Caliza's own vocabulary, as its API documents it: session statuses, beneficiary types, the session object
 * and the webhook operations. Pure data, no imports, so the Caliza client, the workflow contract and the
 * Caliza double share one definition; the workflow contract imports it, never the reverse.
 */
/** Caliza's verification session statuses. */
export const SESSION_STATUSES = ['PENDING', 'PROCESSING', 'SUCCEEDED', 'FAILED'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export type BeneficiaryType = 'INDIVIDUAL' | 'BUSINESS';
/** Caliza runs KYC for individuals and KYB for businesses. */
export type VerificationKind = 'KYC' | 'KYB';

export function kindOf(type: BeneficiaryType): VerificationKind {
  return type === 'BUSINESS' ? 'KYB' : 'KYC';
}

/** The fields of Caliza's verification session that the workflow needs (never a credential). */
export interface VerificationSession {
  id: string;
  beneficiaryId: string;
  type: BeneficiaryType;
  verificationUrl: string | null;
  status: SessionStatus;
  createdDate: string;
  lastModifiedDate: string;
}

/** The outcome webhooks this service acts on. */
export const OUTCOME_OPERATIONS = ['BENEFICIARY_APPROVED', 'BENEFICIARY_FAILED'] as const;
export type OutcomeOperation = (typeof OUTCOME_OPERATIONS)[number];
