/**
 * Caliza's webhook envelope (reference §6.2), validated after the signature has been checked. Only the fields
 * the workflow needs are kept; everything else (`resourceId`, `integratorId`, `data`, fields Caliza may add
 * later) is allowed and dropped.
 */
import { z } from 'zod';
import { OUTCOME_OPERATIONS, type OutcomeOperation, type VerificationEvent } from '../contracts';

/** Workflow ids carry the beneficiary id; Temporal's default id limit is 1,000 characters. */
const MAX_BENEFICIARY_ID_LENGTH = 256;
const MAX_SHORT_TEXT_LENGTH = 128;

/**
 * Legacy envelopes serialised `createdAt` as Java's LocalDateTime array `[y, m, d, h, mi, s, nanos]`, and
 * Jackson leaves out trailing zero seconds and nanos, so 5 to 7 elements are valid.
 */
const legacyDateTime = z
  .array(z.number().int().nonnegative())
  .min(5)
  .max(7)
  .transform((parts, ctx) => {
    const iso = legacyDateTimeToIso(parts);
    if (iso === null) {
      ctx.addIssue({ code: 'custom', message: 'not a valid date and time' });
      return z.NEVER;
    }
    return iso;
  });

const envelopeSchema = z.object({
  operation: z.string().min(1).max(MAX_SHORT_TEXT_LENGTH),
  beneficiaryId: z.string().min(1).max(MAX_BENEFICIARY_ID_LENGTH),
  // The event time is only an identity (for de-duplication) and a display value downstream, so any
  // non-empty string Caliza sends is kept as sent rather than refusing a genuine, signed event.
  createdAt: z.union([z.string().min(1).max(MAX_SHORT_TEXT_LENGTH), legacyDateTime]),
  // Caliza leaves null fields out of some payloads; an absent value is the same as null.
  success: z.boolean().nullable().optional(),
  message: z.string().nullable().optional(),
});

export interface WebhookEnvelope {
  operation: string;
  beneficiaryId: string;
  /** As sent, or the legacy array normalised to `YYYY-MM-DDTHH:MM:SS[.fraction]`. */
  createdAt: string;
  success: boolean | null;
  message: string | null;
}

export type EnvelopeParseResult =
  | { ok: true; envelope: WebhookEnvelope }
  /** Names of the offending top-level fields only: never values from the body. */
  | { ok: false; fields: string[] };

/** Validates an already JSON-parsed body. */
export function parseEnvelope(value: unknown): EnvelopeParseResult {
  const parsed = envelopeSchema.safeParse(value);
  if (!parsed.success) {
    const fields = new Set<string>();
    for (const issue of parsed.error.issues) {
      const top = issue.path[0];
      fields.add(typeof top === 'string' ? top : '(body)');
    }
    return { ok: false, fields: [...fields] };
  }
  const { operation, beneficiaryId, createdAt, success, message } = parsed.data;
  return {
    ok: true,
    envelope: { operation, beneficiaryId, createdAt, success: success ?? null, message: message ?? null },
  };
}

export function isOutcomeOperation(operation: string): operation is OutcomeOperation {
  return (OUTCOME_OPERATIONS as readonly string[]).includes(operation);
}

/**
 * The `operation` of an already JSON-parsed body when it names an event this service does not act on, else
 * null. Checked before the envelope: such an event is acknowledged whatever the rest of it looks like (an
 * integrator-level event has no `beneficiaryId`), so Caliza does not deliver it again and again.
 */
export function ignoredOperation(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const operation: unknown = (value as { operation?: unknown }).operation;
  return typeof operation === 'string' && operation !== '' && !isOutcomeOperation(operation)
    ? operation
    : null;
}

/** The signal payload for an outcome envelope, or null for operations this service does not act on. */
export function toVerificationEvent(envelope: WebhookEnvelope): VerificationEvent | null {
  if (!isOutcomeOperation(envelope.operation)) return null;
  return {
    operation: envelope.operation,
    beneficiaryId: envelope.beneficiaryId,
    createdAt: envelope.createdAt,
    success: envelope.success,
    message: envelope.message,
  };
}

/**
 * `[2024, 3, 15, 19, 23, 59, 401139000]` → `2024-03-15T19:23:59.401139`: Java's own rendering (fraction in
 * groups of three digits), except that seconds are always written. The result is deterministic, so
 * retries of one legacy delivery keep one de-duplication key.
 */
export function legacyDateTimeToIso(parts: readonly number[]): string | null {
  const [year, month, day, hour, minute, second = 0, nanos = 0] = parts;
  if (year === undefined || month === undefined || day === undefined) return null;
  if (hour === undefined || minute === undefined) return null;
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return null;
  if (day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59 || nanos > 999_999_999) return null;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}`;
  if (nanos === 0) return date;
  const digits = pad(nanos, 9);
  const fraction =
    nanos % 1_000_000 === 0 ? digits.slice(0, 3) : nanos % 1_000 === 0 ? digits.slice(0, 6) : digits;
  return `${date}.${fraction}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
