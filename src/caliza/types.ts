import type { BeneficiaryType } from './vocabulary';

/** The authenticated integrator. Only non-sensitive fields are kept: Caliza's `credentials` is dropped. */
export interface Integrator {
  id: string;
  name: string | null;
  active: boolean | null;
  /** Configured webhook URL; null when unset (Caliza sends an empty string). */
  callbackUrl: string | null;
}

export interface BeneficiaryAddress {
  /** At most 100 characters. */
  streetOne: string;
  streetTwo?: string;
  city: string;
  zipcode: string;
  /** At most 3 characters. */
  state: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

export interface BeneficiaryPerson {
  firstName: string;
  lastName: string;
  /** `YYYY-MM-DD`. */
  dateOfBirth: string;
  /** ISO 3166-1 alpha-2. */
  citizenship: string;
  idNumber: string;
  email: string;
  /** `+`, country code and number, 6–20 digits. */
  phoneNumber: string;
  address: BeneficiaryAddress;
  /** Caliza documents further optional person fields whose names are not confirmed. */
  [field: string]: unknown;
}

export interface CreateIndividualBeneficiaryRequest {
  /** Your own unique id for the beneficiary (Caliza answers 409 `beneficiary.conflict` on a duplicate). */
  integratorBeneficiaryId: string;
  type: 'INDIVIDUAL';
  /** Optional: Caliza derives it from the token. */
  integratorId?: string;
  person: BeneficiaryPerson;
}

/** Caliza's business (KYB) fields are not documented, so they are passed through as given. */
export interface BusinessDetails {
  contacts?: unknown[];
  [field: string]: unknown;
}

export interface CreateBusinessBeneficiaryRequest {
  integratorBeneficiaryId: string;
  type: 'BUSINESS';
  integratorId?: string;
  business: BusinessDetails;
}

export type CreateBeneficiaryRequest = CreateIndividualBeneficiaryRequest | CreateBusinessBeneficiaryRequest;

/** Only `PENDING` is documented; approved/failed spellings are not, so the type stays open. */
export type BeneficiaryStatus = 'PENDING' | (string & Record<never, never>);

export interface Beneficiary {
  id: string;
  integratorId: string | null;
  integratorBeneficiaryId: string | null;
  type: BeneficiaryType;
  active: boolean | null;
  kycVerified: boolean | null;
  status: BeneficiaryStatus;
  /**
   * Why the verification failed. Caliza says a FAILED session's reason is in the beneficiary's status but
   * names no field; `rejectionReason` is the name its transactions use, and the sandbox double's choice.
   * Null when absent.
   */
  rejectionReason: string | null;
  createdDate: string | null;
}
