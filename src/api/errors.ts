/** The API's one error shape (`{ code, message, details }`) and the status each code answers with. */
import type { z } from 'zod';
import type { ApiErrorBody, ErrorCode } from './schemas';

export const STATUS_OF: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VERIFICATION_NOT_STARTED: 422,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export type ErrorDetail = ApiErrorBody['details'][number];

/** Thrown by a handler; the app's error handler answers it as its status and body. */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = STATUS_OF[code];
  }

  body(): ApiErrorBody {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** One detail per zod issue, each naming where in the request it is (`body.beneficiaryId`, `query`). */
export function detailsOf(where: string, error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/** Parses `value` with `schema`, or throws INVALID_REQUEST listing every problem. */
export function parseOrRefuse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ApiError('INVALID_REQUEST', `invalid ${where}`, detailsOf(where, parsed.error));
  }
  return parsed.data;
}
