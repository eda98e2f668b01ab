/**
 * Errors the Caliza client throws. Their messages are built only from the method, the path, the status and
 * Caliza's code/message/traceId (already redacted), and they never keep a reference to the underlying
 * axios error, whose `config` holds the Authorization header and the token request's form body.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH';

/** Which endpoint failed: the Core API or the OAuth2 token endpoint. */
export type CalizaEndpoint = 'api' | 'token';

/** Which call failed: enough to name it in a message, never its headers or body. */
export interface CalizaCallTarget {
  endpoint: CalizaEndpoint;
  method: HttpMethod;
  /** Request path (relative to the API base URL, or the token URL's path). */
  path: string;
}

/** What every failed Caliza call has: the call it was, and a JSON form with the fields a subclass adds. */
export abstract class CalizaCallError extends Error {
  readonly endpoint: CalizaEndpoint;
  readonly method: HttpMethod;
  readonly path: string;

  protected constructor(message: string, target: CalizaCallTarget) {
    super(message);
    this.endpoint = target.endpoint;
    this.method = target.method;
    this.path = target.path;
  }

  /** Own fields only: an error never holds the axios error, so there is nothing secret to leave out. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, ...Object.fromEntries(Object.entries(this)) };
  }
}

/** How a message names the call: `Caliza GET /v1/…` or `Caliza token endpoint POST /…`. */
function callName(target: CalizaCallTarget): string {
  const service = target.endpoint === 'token' ? 'Caliza token endpoint' : 'Caliza';
  return `${service} ${target.method} ${target.path}`;
}

export interface CalizaApiErrorInit extends CalizaCallTarget {
  status: number;
  code?: string;
  calizaMessage?: string;
  traceId?: string;
  errors?: readonly string[];
  retryAfterMs?: number;
}

/** Caliza (or its token endpoint) answered with a non-2xx status. */
export class CalizaApiError extends CalizaCallError {
  readonly status: number;
  /** Caliza's machine-readable code (e.g. `beneficiary.not_found`), or Keycloak's `error`. */
  readonly code: string | undefined;
  /** Caliza's human-readable message, or Keycloak's `error_description`. */
  readonly calizaMessage: string | undefined;
  readonly traceId: string | undefined;
  /** Validation messages when the body was `{ "errors": [...] }`. */
  readonly errors: readonly string[] | undefined;
  /** From `Retry-After` (seconds or HTTP date), when present. */
  readonly retryAfterMs: number | undefined;

  constructor(init: CalizaApiErrorInit) {
    super(describeApiError(init), init);
    this.status = init.status;
    this.code = init.code;
    this.calizaMessage = init.calizaMessage;
    this.traceId = init.traceId;
    this.errors = init.errors;
    this.retryAfterMs = init.retryAfterMs;
  }
}
// On the prototype, so the stack header captured by the base constructor already shows it.
CalizaApiError.prototype.name = 'CalizaApiError';

function describeApiError(init: CalizaApiErrorInit): string {
  let text = `${callName(init)} returned ${init.status}`;
  if (init.code !== undefined) text += ` ${init.code}`;
  if (init.calizaMessage !== undefined) text += `: ${init.calizaMessage}`;
  if (init.errors !== undefined && init.errors.length > 0) text += ` [${init.errors.join('; ')}]`;
  if (init.traceId !== undefined) text += ` (traceId ${init.traceId})`;
  return text;
}

export type CalizaNetworkReason =
  'timeout' | 'connection_refused' | 'connection_reset' | 'dns' | 'aborted' | 'other';

export interface CalizaNetworkErrorInit extends CalizaCallTarget {
  reason: CalizaNetworkReason;
  /** The system or axios error code (e.g. `ECONNREFUSED`), when known. */
  code?: string;
  timeoutMs?: number;
}

/** No HTTP answer: timeout, refused or reset connection, DNS failure. */
export class CalizaNetworkError extends CalizaCallError {
  readonly reason: CalizaNetworkReason;
  readonly code: string | undefined;

  constructor(init: CalizaNetworkErrorInit) {
    super(describeNetworkError(init), init);
    this.reason = init.reason;
    this.code = init.code;
  }
}
CalizaNetworkError.prototype.name = 'CalizaNetworkError';

const REASON_TEXT: Record<CalizaNetworkReason, string> = {
  timeout: 'timed out',
  connection_refused: 'connection refused',
  connection_reset: 'connection reset',
  dns: 'host not found',
  aborted: 'request aborted',
  other: 'network error',
};

function describeNetworkError(init: CalizaNetworkErrorInit): string {
  let text = `${callName(init)} failed: ${REASON_TEXT[init.reason]}`;
  if (init.reason === 'timeout' && init.timeoutMs !== undefined) text += ` after ${init.timeoutMs} ms`;
  if (init.code !== undefined) text += ` (${init.code})`;
  return text;
}

export interface CalizaUnexpectedResponseErrorInit extends CalizaCallTarget {
  status: number;
  /** Where the body differs from the expected shape: field paths and issue kinds, never values. */
  problems: readonly string[];
}

/** A success status whose body does not have the documented shape (or is too large to read). */
export class CalizaUnexpectedResponseError extends CalizaCallError {
  readonly status: number;
  readonly problems: readonly string[];

  constructor(init: CalizaUnexpectedResponseErrorInit) {
    super(
      `${callName(init)} returned ${init.status} with an unexpected body: ${init.problems.join('; ')}`,
      init,
    );
    this.status = init.status;
    this.problems = init.problems;
  }
}
CalizaUnexpectedResponseError.prototype.name = 'CalizaUnexpectedResponseError';

/**
 * An id the client will not put into a URL path (see `pathSegmentProblem`); nothing was sent. A TypeError: the
 * caller passed a bad argument, and the same call can never succeed.
 */
export class CalizaInvalidIdError extends TypeError {
  /** The argument's name, e.g. `beneficiaryId`. */
  readonly field: string;
  readonly problem: string;

  constructor(field: string, problem: string) {
    super(`${field} ${problem}`);
    this.field = field;
    this.problem = problem;
  }
}
CalizaInvalidIdError.prototype.name = 'CalizaInvalidIdError';

export type CalizaError = CalizaApiError | CalizaNetworkError | CalizaUnexpectedResponseError;
