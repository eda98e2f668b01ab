import { ApplicationFailure } from '@temporalio/common';
import type { CallFailureHint, CallFailureKind } from '../contracts';

/** A `Retry-After` longer than this is honoured by the workflow's own back-off, not by a local retry. */
export const LOCAL_RETRY_AFTER_LIMIT_MS = 10_000;
import {
  CalizaApiError,
  CalizaInvalidIdError,
  CalizaNetworkError,
  CalizaUnexpectedResponseError,
  type CalizaNetworkReason,
} from '../caliza/errors';
import { clampRetryAfter } from '../caliza/retry-after';

/** Failure types this module produces besides Caliza's own codes. */
export const CALIZA_FAILURE_TYPES = {
  /**
   * 408, 5xx, timeouts and connection failures. Retryable, except a 503 whose `Retry-After` is longer than
   * {@link LOCAL_RETRY_AFTER_LIMIT_MS} (the workflow waits that out).
   */
  unavailable: 'CalizaUnavailable',
  /** 429. Retryable after its `Retry-After`; non-retryable when that is longer than the local limit. */
  rateLimited: 'CalizaRateLimited',
  /** A 2xx whose body is not the documented shape (a gateway's page, a contract change). */
  unexpectedResponse: 'CalizaUnexpectedResponse',
  /** The activity was called with an unusable beneficiary id (see `beneficiaryIdProblem`). Non-retryable. */
  invalidArgument: 'InvalidBeneficiaryId',
} as const;

/** Type used for a non-retryable status when Caliza sent no code. */
export function httpFailureType(status: number): string {
  return `CalizaHttp${status}`;
}

/**
 * The `details[0]` of every Caliza failure; no credential is ever part of it. `kind` and `retryAfterMs` are
 * what the workflow reads once the local retries are over (see {@link CallFailureHint}).
 */
export interface CalizaFailureDetails extends CallFailureHint {
  status: number | null;
  code: string | null;
  traceId: string | null;
  /** Set for failures without an HTTP answer. */
  networkReason?: CalizaNetworkReason;
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * A refusal from the token endpoint (`invalid_grant`, `invalid_client`, `unauthorized_client`, a bare 4xx)
 * means the configured credentials do not work, as do a 401 that survived the client's refresh and a 403.
 */
function refusalKind(error: CalizaApiError): CallFailureKind {
  return error.endpoint === 'token' || error.status === 401 || error.status === 403 ? 'AUTH' : 'REFUSED';
}

/**
 * A short `Retry-After` becomes the next local attempt's delay. A longer one ends the local retries at once,
 * and the workflow's own back-off, which reads `retryAfterMs`, honours it: the call does not sit in a local
 * retry loop for minutes, and no wait is cut short by the local retry policy.
 */
function retryFor(retryAfterMs: number | null): { nonRetryable: boolean; nextRetryDelay?: number } {
  if (retryAfterMs === null) return { nonRetryable: false };
  if (retryAfterMs > LOCAL_RETRY_AFTER_LIMIT_MS) return { nonRetryable: true };
  return { nonRetryable: false, nextRetryDelay: retryAfterMs };
}

function failure(
  error: Error,
  type: string,
  details: CalizaFailureDetails,
  retry: { nonRetryable: boolean; nextRetryDelay?: number },
): ApplicationFailure {
  return ApplicationFailure.create({
    message: error.message,
    type,
    details: [details],
    cause: error,
    ...retry,
  });
}

/**
 * Maps any error an activity sees to the ApplicationFailure Temporal should record. `details[0]` is a
 * {@link CalizaFailureDetails} for every Caliza failure.
 *
 * - 400/401/403/404/409/412/422: non-retryable; type = Caliza's code, else `CalizaHttp<status>`. A 401 only
 *   gets here after the client's one refresh-and-retry, so the credentials themselves are refused. Kind AUTH
 *   for 401, 403 and anything the token endpoint refuses, REFUSED otherwise.
 * - 408/429/5xx and network failures: retryable, kind TRANSIENT. On a 429 or 503, `Retry-After` (at least
 *   1 s) sets `retryAfterMs` (at most `MAX_RETRY_AFTER_MS`) and, up to {@link LOCAL_RETRY_AFTER_LIMIT_MS},
 *   `nextRetryDelay`; a longer one makes the failure non-retryable, with the same type.
 * - Any other status (3xx — redirects are not followed —, 405, 410, 415, …) is non-retryable: the server
 *   says the request or the configuration is wrong, and sending the same request again gets the same answer.
 *   Retrying would only hide a bug until the activity's timeouts ran out.
 * - A 2xx whose body is not the documented shape: non-retryable (the same request gets the same body), but
 *   kind TRANSIENT: a gateway's error page and a contract change both deserve a later try, not a verdict.
 * - An id the client refuses to send: `InvalidBeneficiaryId`, non-retryable, kind REFUSED.
 * - Errors that are not Caliza's (bugs) keep Temporal's default treatment: retryable, with their message,
 *   and no details.
 */
export function toApplicationFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;

  if (error instanceof CalizaApiError) {
    const answer = { status: error.status, code: error.code ?? null, traceId: error.traceId ?? null };
    if (isRetryableStatus(error.status)) {
      const retryAfterMs =
        (error.status === 429 || error.status === 503) && error.retryAfterMs !== undefined
          ? clampRetryAfter(error.retryAfterMs)
          : null;
      const type = error.status === 429 ? CALIZA_FAILURE_TYPES.rateLimited : CALIZA_FAILURE_TYPES.unavailable;
      return failure(error, type, { ...answer, kind: 'TRANSIENT', retryAfterMs }, retryFor(retryAfterMs));
    }
    return failure(
      error,
      error.code ?? httpFailureType(error.status),
      { ...answer, kind: refusalKind(error), retryAfterMs: null },
      { nonRetryable: true },
    );
  }

  if (error instanceof CalizaNetworkError) {
    return failure(
      error,
      CALIZA_FAILURE_TYPES.unavailable,
      {
        status: null,
        code: null,
        traceId: null,
        networkReason: error.reason,
        kind: 'TRANSIENT',
        retryAfterMs: null,
      },
      { nonRetryable: false },
    );
  }

  if (error instanceof CalizaUnexpectedResponseError) {
    return failure(
      error,
      CALIZA_FAILURE_TYPES.unexpectedResponse,
      { status: error.status, code: null, traceId: null, kind: 'TRANSIENT', retryAfterMs: null },
      { nonRetryable: true },
    );
  }

  if (error instanceof CalizaInvalidIdError) {
    return failure(
      error,
      CALIZA_FAILURE_TYPES.invalidArgument,
      { status: null, code: null, traceId: null, kind: 'REFUSED', retryAfterMs: null },
      { nonRetryable: true },
    );
  }

  return ApplicationFailure.fromError(error);
}
