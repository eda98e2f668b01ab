import { z } from 'zod';
import { CalizaApiError, type CalizaCallTarget } from './errors';
import type { TransportResponse } from './http-transport';
import type { SecretRedactor } from './redactor';
import { parseRetryAfter } from './retry-after';

/** Long enough for any real Caliza message; bounds what an HTML error page could push into a message. */
const MAX_FIELD_LENGTH = 300;
const MAX_VALIDATION_ERRORS = 20;

const text = z
  .string()
  .transform((v) => v.trim())
  .pipe(z.string().min(1))
  .optional()
  .catch(undefined);

/**
 * Caliza's coded errors (`code`, `message`, `traceId`, `path`), its validation errors (`errors: string[]`)
 * and Keycloak's token errors (`error`, `error_description`), read tolerantly: any field may be missing.
 */
const errorBodySchema = z
  .object({
    code: text,
    message: text,
    traceId: text,
    error: text,
    error_description: text,
    errors: z.array(z.unknown()).optional().catch(undefined),
  })
  .catch({});

export interface CalizaErrorFields {
  code?: string;
  calizaMessage?: string;
  traceId?: string;
  errors?: string[];
}

/** Text from Caliza fit for an error or a log line: credentials scrubbed, length bounded. */
export function clip(value: string, redactor: SecretRedactor): string {
  const redacted = redactor.redact(value);
  return redacted.length > MAX_FIELD_LENGTH ? `${redacted.slice(0, MAX_FIELD_LENGTH)}…` : redacted;
}

function validationMessage(item: unknown): string | undefined {
  if (typeof item === 'string') return item;
  if (typeof item === 'object' && item !== null && 'message' in item && typeof item.message === 'string') {
    return item.message;
  }
  return undefined;
}

/** Fields worth keeping from an error body; non-JSON bodies (HTML pages, plain text) yield nothing. */
export function readErrorBody(body: unknown, redactor: SecretRedactor): CalizaErrorFields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const parsed = errorBodySchema.parse(body);
  const fields: CalizaErrorFields = {};
  const code = parsed.code ?? parsed.error;
  const message = parsed.message ?? parsed.error_description;
  if (code !== undefined) fields.code = clip(code, redactor);
  if (message !== undefined) fields.calizaMessage = clip(message, redactor);
  if (parsed.traceId !== undefined) fields.traceId = clip(parsed.traceId, redactor);
  if (parsed.errors !== undefined) {
    const messages = parsed.errors
      .map(validationMessage)
      .filter((m): m is string => m !== undefined && m.trim().length > 0)
      .slice(0, MAX_VALIDATION_ERRORS)
      .map((m) => clip(m.trim(), redactor));
    if (messages.length > 0) fields.errors = messages;
  }
  return fields;
}

/**
 * The error for a non-2xx answer, the same for the Core API and the token endpoint: Caliza's code and
 * message read from the body (scrubbed), and its Retry-After as a delay from `now`.
 */
export function refusalError(
  target: CalizaCallTarget,
  response: Pick<TransportResponse, 'status' | 'body' | 'retryAfter'>,
  redactor: SecretRedactor,
  now: number,
): CalizaApiError {
  const retryAfterMs = parseRetryAfter(response.retryAfter, now);
  return new CalizaApiError({
    ...target,
    status: response.status,
    ...readErrorBody(response.body, redactor),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}
