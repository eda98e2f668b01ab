/**
 * The HTTP API's schemas: the handlers validate every request with them and shape every answer with them,
 * and the OpenAPI document is generated from them (`openapi.ts`), so the two cannot drift apart. The
 * answer schemas mirror the workflow contract's types, and the compiler checks that (at the end).
 */
import { z } from 'zod';
import {
  OUTCOME_OPERATIONS,
  SESSION_STATUSES,
  type VerificationResult,
  type VerificationStateView,
} from '../contracts';

/** Longest `waitSeconds` of a long poll: under the usual 60 s idle timeout of proxies in between. */
export const MAX_WAIT_SECONDS = 30;
export const DEFAULT_WAIT_SECONDS = 20;
/** Longest time a start waits for the session; the client library's default too. */
export const MAX_START_TIMEOUT_SECONDS = 60;
export const DEFAULT_START_TIMEOUT_SECONDS = 30;

/**
 * The ids Caliza gives beneficiaries are 24 hex digits; this allows any id a URL path carries unescaped,
 * less `.` and `..`, which URL resolution would turn into another path (as `beneficiaryIdProblem` says).
 * The pattern says so without a look-ahead, so that every JSON Schema tool can generate from it: an id
 * either has a character other than a dot among its first three, or starts with three dots.
 */
/** Caliza's ids have 24 characters; a longer one could never name a beneficiary there. */
export const MAX_BENEFICIARY_ID_LENGTH = 64;
export const BENEFICIARY_ID_PATTERN = /^(?:\.{0,2}[A-Za-z0-9_:-]|\.\.\.)[A-Za-z0-9._:-]*$/;

export const beneficiaryIdSchema = z
  .string()
  .min(1)
  .max(MAX_BENEFICIARY_ID_LENGTH)
  .regex(BENEFICIARY_ID_PATTERN)
  .meta({ description: "Caliza's beneficiary id", examples: ['6920925fdbadfe09b1bf9e5f'] });

const isoInstant = z.iso.datetime({ offset: true });
const stateStatus = z.enum([...SESSION_STATUSES, 'NOT_CREATED']);
const kind = z.enum(['KYC', 'KYB']);

const failureDetailsSchema = z
  .object({
    beneficiaryStatus: z.string().nullable().meta({ description: "The beneficiary's status at Caliza" }),
    beneficiaryReason: z
      .string()
      .nullable()
      .meta({ description: "The beneficiary's reason, as Caliza gives it" }),
    readFailure: z
      .string()
      .nullable()
      .meta({ description: 'Null when read; else why the details could not be read (the outcome stands)' }),
  })
  .meta({ id: 'FailureDetails' });

export const verificationResultSchema = z
  .object({
    beneficiaryId: z.string(),
    outcome: z.enum(['APPROVED', 'FAILED', 'NOT_VERIFIED_HERE']),
    reason: z.string().nullable().meta({
      description:
        "Why it failed: the webhook's message, else the beneficiary's reason, else VERIFICATION_FAILED; or EXPIRED. For NOT_VERIFIED_HERE, Caliza's code",
    }),
    failureDetails: failureDetailsSchema.optional(),
    decidedBy: z.enum(['WEBHOOK', 'POLL', 'DEADLINE']),
    sessionId: z.string().nullable(),
    kind: kind.nullable(),
    decidedAt: z.string().meta({ description: 'ISO 8601 time of the decision' }),
  })
  .meta({ id: 'VerificationResult' });

const lastEventSchema = z.object({
  operation: z.enum(OUTCOME_OPERATIONS),
  createdAt: z.string(),
  receivedAt: z.string(),
  confirmed: z.boolean().nullable(),
});

const callFailureSchema = z.object({
  type: z.string(),
  kind: z.enum(['TRANSIENT', 'AUTH', 'REFUSED']),
  message: z.string(),
  at: z.string(),
});

export const verificationStateSchema = z
  .object({
    beneficiaryId: z.string(),
    mode: z.enum(['VERIFY', 'RECORD_OUTCOME']),
    status: stateStatus,
    verificationUrl: z.string().nullable(),
    kind: kind.nullable(),
    sessionId: z.string().nullable(),
    polls: z.number().int(),
    lastPollAt: z.string().nullable(),
    nextPollAt: z.string().nullable(),
    deadlineAt: z.string(),
    lastEvent: lastEventSchema.nullable(),
    duplicateEvents: z.number().int(),
    ignoredEvents: z.number().int(),
    runsContinued: z.number().int(),
    callFailures: z.number().int(),
    lastCallFailure: callFailureSchema.nullable(),
    retryCallsAt: z.string().nullable(),
    outcome: verificationResultSchema.nullable(),
  })
  .meta({ id: 'VerificationState', description: "The workflow's getState query answer" });

export const startRequestSchema = z
  .strictObject({
    beneficiaryId: beneficiaryIdSchema,
    reverify: z
      .boolean()
      .default(false)
      .meta({ description: 'Start a new verification when the last one ended FAILED; never after APPROVED' }),
    timeoutSeconds: z
      .int()
      .min(1)
      .max(MAX_START_TIMEOUT_SECONDS)
      .default(DEFAULT_START_TIMEOUT_SECONDS)
      .meta({ description: 'Longest wait for the session; without one by then, status is NOT_CREATED' }),
  })
  .meta({ id: 'StartVerificationRequest' });

export const startAnswerSchema = z
  .object({
    beneficiaryId: z.string(),
    workflowId: z.string(),
    runId: z.string(),
    verificationUrl: z.string().nullable(),
    status: stateStatus,
    result: verificationResultSchema
      .nullable()
      .meta({ description: 'Set when the verification had already ended and none was started' }),
  })
  .meta({ id: 'StartedVerification' });

export const CLOSED_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT'] as const;

export const waitAnswerSchema = z
  .object({
    beneficiaryId: z.string(),
    workflowId: z.string(),
    done: z.boolean(),
    closedAs: z
      .enum(CLOSED_STATUSES)
      .nullable()
      .meta({ description: 'How the run ended; null while it runs' }),
    result: verificationResultSchema.nullable().meta({ description: 'Set when the run completed' }),
    state: verificationStateSchema.nullable().meta({ description: 'The current state while it runs' }),
  })
  .meta({ id: 'VerificationWait' });

export const waitQuerySchema = z.strictObject({
  waitSeconds: z
    .int()
    .min(0)
    .max(MAX_WAIT_SECONDS)
    .default(DEFAULT_WAIT_SECONDS)
    .meta({ description: 'Longest wait for the result; 0 answers at once' }),
});

export const cancelAnswerSchema = z
  .object({
    beneficiaryId: z.string(),
    workflowId: z.string(),
    cancelRequested: z
      .boolean()
      .meta({ description: 'False when the verification had already ended (closedAs says how)' }),
    closedAs: z.enum(CLOSED_STATUSES).nullable(),
  })
  .meta({ id: 'CancelAnswer' });

export const deadlineRequestSchema = z
  .strictObject({
    deadlineAt: isoInstant.meta({ description: 'ISO 8601 instant with a zone, later than the current one' }),
  })
  .meta({ id: 'DeadlineRequest' });

export const deadlineAnswerSchema = z
  .object({ beneficiaryId: z.string(), workflowId: z.string(), deadlineAt: z.string() })
  .meta({ id: 'DeadlineAnswer' });

export const ERROR_CODES = [
  'INVALID_REQUEST',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'VERIFICATION_NOT_STARTED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const errorSchema = z
  .object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .meta({ description: 'One entry per problem; empty when there is nothing more to say' }),
  })
  .meta({ id: 'Error' });

export type StartRequest = z.infer<typeof startRequestSchema>;
export type StartAnswer = z.infer<typeof startAnswerSchema>;
export type WaitAnswer = z.infer<typeof waitAnswerSchema>;
export type CancelAnswer = z.infer<typeof cancelAnswerSchema>;
export type DeadlineAnswer = z.infer<typeof deadlineAnswerSchema>;
export type ApiErrorBody = z.infer<typeof errorSchema>;
export type ClosedStatus = (typeof CLOSED_STATUSES)[number];

/** Compiles only when A and B are the same type: a change of the contract's types breaks the build here. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const mirrorsContract: [
  Same<z.infer<typeof verificationResultSchema>, VerificationResult>,
  Same<z.infer<typeof verificationStateSchema>, VerificationStateView>,
] = [true, true];
void mirrorsContract;
