import { ApplicationFailure } from '@temporalio/common';
import {
  CalizaApiError,
  CalizaNetworkError,
  CalizaUnexpectedResponseError,
  type CalizaNetworkReason,
} from '../caliza/errors';

/** Failure types this module produces besides Caliza's own codes. */
export const CALIZA_FAILURE_TYPES = {
  /** 408, 5xx, timeouts and connection failures. Retryable. */
  unavailable: 'CalizaUnavailable',
  /** 429. Retryable, honouring `Retry-After` when sent. */
  rateLimited: 'CalizaRateLimited',
  /** A 2xx whose body is not the documented shape: a contract change that retrying will not fix. */
  unexpectedResponse: 'CalizaUnexpectedResponse',
  /** The activity was called with an unusable beneficiary id. */
  invalidArgument: 'InvalidBeneficiaryId',
} as const;

/** Type used for a non-retryable status when Caliza sent no code. */
export function httpFailureType(status: number): string {
  return `CalizaHttp${status}`;
}

/** The `details[0]` of every Caliza failure; no credential is ever part of it. */
export interface CalizaFailureDetails {
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
 * Maps any error an activity sees to the ApplicationFailure Temporal should record.
 *
 * - 400/401/403/404/409/412/422: non-retryable; type = Caliza's code, else `CalizaHttp<status>`. A 401 only
 *   gets here after the client's one refresh-and-retry, so the credentials themselves are refused.
 * - 408/429/5xx and network failures: retryable; 429 and 503 with `Retry-After` set `nextRetryDelay`.
 * - Any other status (3xx — redirects are not followed —, 405, 410, 415, …) is non-retryable: the server
 *   says the request or the configuration is wrong, and sending the same request again gets the same answer.
 *   Retrying would only hide a bug until the activity's timeouts ran out.
 * - Errors that are not Caliza's (bugs) keep Temporal's default treatment: retryable, with their message.
 */
export function toApplicationFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;

  if (error instanceof CalizaApiError) {
    const details: CalizaFailureDetails = {
      status: error.status,
      code: error.code ?? null,
      traceId: error.traceId ?? null,
    };
    if (isRetryableStatus(error.status)) {
      const honoursRetryAfter = error.status === 429 || error.status === 503;
      return ApplicationFailure.create({
        message: error.message,
        type: error.status === 429 ? CALIZA_FAILURE_TYPES.rateLimited : CALIZA_FAILURE_TYPES.unavailable,
        nonRetryable: false,
        details: [details],
        cause: error,
        ...(honoursRetryAfter && error.retryAfterMs !== undefined
          ? { nextRetryDelay: error.retryAfterMs }
          : {}),
      });
    }
    return ApplicationFailure.create({
      message: error.message,
      type: error.code ?? httpFailureType(error.status),
      nonRetryable: true,
      details: [details],
      cause: error,
    });
  }

  if (error instanceof CalizaNetworkError) {
    const details: CalizaFailureDetails = {
      status: null,
      code: null,
      traceId: null,
      networkReason: error.reason,
    };
    return ApplicationFailure.create({
      message: error.message,
      type: CALIZA_FAILURE_TYPES.unavailable,
      nonRetryable: false,
      details: [details],
      cause: error,
    });
  }

  if (error instanceof CalizaUnexpectedResponseError) {
    const details: CalizaFailureDetails = { status: error.status, code: null, traceId: null };
    return ApplicationFailure.create({
      message: error.message,
      type: CALIZA_FAILURE_TYPES.unexpectedResponse,
      nonRetryable: true,
      details: [details],
      cause: error,
    });
  }

  return ApplicationFailure.fromError(error);
}
