import type { VerificationEvent } from '../../src/contracts';

/** An approval webhook as the receiver hands it to the workflow; one `createdAt` is one delivery. */
export function approvedEvent(
  beneficiaryId: string,
  createdAt = '2026-01-01T00:05:00.000001',
): VerificationEvent {
  return { operation: 'BENEFICIARY_APPROVED', beneficiaryId, createdAt, success: true, message: null };
}

/** A rejection webhook with Caliza's reason. */
export function failedEvent(
  beneficiaryId: string,
  message: string | null = 'Document expired',
): VerificationEvent {
  return {
    operation: 'BENEFICIARY_FAILED',
    beneficiaryId,
    createdAt: '2026-01-01T00:06:00.000001',
    success: false,
    message,
  };
}
