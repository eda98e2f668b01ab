import { z } from 'zod';
import { SESSION_STATUSES, type SessionStatus, type VerificationSession } from './vocabulary';
import type { Beneficiary, Integrator } from './types';

export type Parsed<T> = { success: true; data: T } | { success: false; problems: string[] };

/** Issue locations and kinds only: zod issues can carry input values, which may be secrets. */
function problemsOf(error: z.ZodError): string[] {
  return error.issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.code}`,
  );
}

function parseWith<S extends z.ZodType>(schema: S, body: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(body);
  return result.success
    ? { success: true, data: result.data }
    : { success: false, problems: problemsOf(result.error) };
}

const id = z.string().min(1);
/** Optional text where Caliza uses "" for "not set". */
const optionalText = z
  .string()
  .nullish()
  .transform((v) => (v === undefined || v === null || v === '' ? null : v));
const beneficiaryType = z.enum(['INDIVIDUAL', 'BUSINESS']);

const verificationSessionSchema = z.object({
  id,
  beneficiaryId: id,
  type: beneficiaryType,
  // Present only while PENDING.
  verificationUrl: optionalText,
  status: z.string().min(1),
  createdDate: z.string().min(1),
  // Documented, but not seen on a live response yet; a session that has never changed was last modified
  // when it was created.
  lastModifiedDate: optionalText,
});

function isDocumentedStatus(status: string): status is SessionStatus {
  return (SESSION_STATUSES as readonly string[]).includes(status);
}

/**
 * Caliza's session object, reduced to exactly the contract's fields (others, e.g. `verificationType`, are
 * dropped). A status Caliza has not documented (it may add one, say `EXPIRED`) is read as PROCESSING: not an
 * outcome, so polling goes on and the deadline still bounds the run. `onUndocumentedStatus` gets the raw
 * value.
 */
export function parseVerificationSession(
  body: unknown,
  onUndocumentedStatus?: (status: string) => void,
): Parsed<VerificationSession> {
  const parsed = parseWith(verificationSessionSchema, body);
  if (!parsed.success) return parsed;
  const s = parsed.data;
  let status: SessionStatus = 'PROCESSING';
  if (isDocumentedStatus(s.status)) status = s.status;
  else onUndocumentedStatus?.(s.status);
  const session: VerificationSession = {
    id: s.id,
    beneficiaryId: s.beneficiaryId,
    type: s.type,
    verificationUrl: s.verificationUrl,
    status,
    createdDate: s.createdDate,
    lastModifiedDate: s.lastModifiedDate ?? s.createdDate,
  };
  return { success: true, data: session };
}

const integratorSchema = z.object({
  id,
  name: optionalText,
  active: z.boolean().nullish(),
  callbackUrl: optionalText,
});

export function parseIntegrator(body: unknown): Parsed<Integrator> {
  const parsed = parseWith(integratorSchema, body);
  if (!parsed.success) return parsed;
  const i = parsed.data;
  // Built field by field: the live object also has `credentials`, which must not travel further.
  return {
    success: true,
    data: { id: i.id, name: i.name, active: i.active ?? null, callbackUrl: i.callbackUrl },
  };
}

const beneficiarySchema = z.object({
  id,
  integratorId: optionalText,
  integratorBeneficiaryId: optionalText,
  type: beneficiaryType,
  active: z.boolean().nullish(),
  kycVerified: z.boolean().nullish(),
  status: z.string().min(1),
  // Not documented (see Beneficiary.rejectionReason): anything but a non-empty string reads as none.
  rejectionReason: z.unknown().optional(),
  createdDate: optionalText,
});

export function parseBeneficiary(body: unknown): Parsed<Beneficiary> {
  const parsed = parseWith(beneficiarySchema, body);
  if (!parsed.success) return parsed;
  const b = parsed.data;
  return {
    success: true,
    data: {
      id: b.id,
      integratorId: b.integratorId,
      integratorBeneficiaryId: b.integratorBeneficiaryId,
      type: b.type,
      active: b.active ?? null,
      kycVerified: b.kycVerified ?? null,
      status: b.status,
      rejectionReason:
        typeof b.rejectionReason === 'string' && b.rejectionReason.trim() !== '' ? b.rejectionReason : null,
      createdDate: b.createdDate,
    },
  };
}

const URL_FIELDS = ['callbackUrl', 'url', 'webhookUrl'] as const;
const webhookConfigSchema = z.object({
  callbackUrl: z.string().nullish(),
  url: z.string().nullish(),
  webhookUrl: z.string().nullish(),
});

/**
 * The webhook-config read is not documented beyond "returns the endpoint URL": accept a bare string, or an
 * object naming it `callbackUrl` (as on the integrator), `url` or `webhookUrl`. Null means "not set".
 */
export function parseWebhookUrl(body: unknown): Parsed<string | null> {
  if (body === undefined || body === '') return { success: true, data: null };
  if (typeof body === 'string') return { success: true, data: body };
  const parsed = parseWith(webhookConfigSchema, body);
  if (!parsed.success) return parsed;
  const present = URL_FIELDS.filter((field) => Object.hasOwn(body as object, field));
  if (present.length === 0) return { success: false, problems: ['callbackUrl: missing'] };
  const url = present.map((field) => parsed.data[field]).find((v) => typeof v === 'string' && v !== '');
  return { success: true, data: url ?? null };
}

const SECRET_FIELDS = ['secret', 'webhookSecret', 'encryptedSecret'] as const;

/**
 * The secret read's shape is not documented: a bare string (JSON or text), or an object with one of the
 * field names above.
 */
const webhookSecretSchema = z.union([
  z.string().min(1),
  z
    .object({
      secret: z.string().min(1),
      webhookSecret: z.string().min(1),
      encryptedSecret: z.string().min(1),
    })
    .partial()
    .transform((o) => SECRET_FIELDS.map((f) => o[f]).find((v) => v !== undefined))
    .pipe(z.string()),
]);

export function parseWebhookSecret(body: unknown): Parsed<string> {
  return parseWith(webhookSecretSchema, body);
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  token_type: z.string().optional(),
});

export interface TokenResponse {
  accessToken: string;
  expiresInMs: number;
}

export function parseTokenResponse(body: unknown): Parsed<TokenResponse> {
  const parsed = parseWith(tokenResponseSchema, body);
  if (!parsed.success) return parsed;
  if (parsed.data.token_type !== undefined && parsed.data.token_type.toLowerCase() !== 'bearer') {
    return { success: false, problems: ['token_type: not bearer'] };
  }
  return {
    success: true,
    data: { accessToken: parsed.data.access_token, expiresInMs: parsed.data.expires_in * 1000 },
  };
}
