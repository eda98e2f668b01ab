/**
 * The API's operations as data: method, path, schemas and the errors each can answer. The app registers
 * its handlers from this table and the OpenAPI document is generated from it, so neither can list an
 * operation, a parameter or an answer that the other lacks.
 */
import type { z } from 'zod';
import type { ErrorCode } from './schemas';
import {
  beneficiaryIdSchema,
  cancelAnswerSchema,
  deadlineAnswerSchema,
  deadlineRequestSchema,
  startAnswerSchema,
  startRequestSchema,
  verificationStateSchema,
  waitAnswerSchema,
  waitQuerySchema,
} from './schemas';

export type OperationId =
  'startVerification' | 'getVerification' | 'waitForResult' | 'cancel' | 'extendDeadline';

export interface ApiRoute {
  operationId: OperationId;
  method: 'GET' | 'POST' | 'PUT';
  /** OpenAPI style: `{beneficiaryId}` for the path parameter. */
  path: string;
  summary: string;
  description: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  answer: z.ZodType;
  errors: ErrorCode[];
}

/** Every operation can answer these. */
export const COMMON_ERRORS: ErrorCode[] = ['INVALID_REQUEST', 'UNAUTHORIZED', 'UNAVAILABLE'];
export const PATH_PARAMETER = { name: 'beneficiaryId', schema: beneficiaryIdSchema } as const;
const ONE = '/v1/verifications/{beneficiaryId}';

export const API_ROUTES: readonly ApiRoute[] = [
  {
    operationId: 'startVerification',
    method: 'POST',
    path: '/v1/verifications',
    summary: 'Start a verification, or join the one running, and get its URL',
    description:
      'One update-with-start: answers once the Caliza session exists, with its verificationUrl and status. ' +
      'A running verification is joined (the same request may be retried freely); after an APPROVED one ' +
      'its result is answered and nothing starts; after a FAILED one a new one starts only with reverify. ' +
      'Without a session within timeoutSeconds the status is NOT_CREATED: the run keeps trying, and a ' +
      'later start joins it.',
    body: startRequestSchema,
    answer: startAnswerSchema,
    errors: ['NOT_FOUND', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'VERIFICATION_NOT_STARTED'],
  },
  {
    operationId: 'getVerification',
    method: 'GET',
    path: ONE,
    summary: "Read a verification's state",
    description: "The workflow's getState query, following continue-as-new to the latest run.",
    answer: verificationStateSchema,
    errors: ['NOT_FOUND', 'CONFLICT'],
  },
  {
    operationId: 'waitForResult',
    method: 'GET',
    path: `${ONE}/result`,
    summary: 'Wait for the result (bounded long poll)',
    description:
      'Answers as soon as the verification has ended, or after waitSeconds with done=false and the ' +
      'current state. Ask again to keep waiting.',
    query: waitQuerySchema,
    answer: waitAnswerSchema,
    errors: ['NOT_FOUND'],
  },
  {
    operationId: 'cancel',
    method: 'POST',
    path: `${ONE}/cancel`,
    summary: 'Cancel a verification',
    description:
      'Requests cancellation of the running verification. Idempotent: asking again, or after it ended, ' +
      'answers 200 with cancelRequested=false and closedAs once it has ended.',
    answer: cancelAnswerSchema,
    errors: ['NOT_FOUND'],
  },
  {
    operationId: 'extendDeadline',
    method: 'PUT',
    path: `${ONE}/deadline`,
    summary: 'Move the deadline later',
    description:
      'Sets the deadline to deadlineAt, which must be later than the current one. Idempotent: setting the ' +
      'deadline it already has answers 200. A decided or ended verification answers 409.',
    body: deadlineRequestSchema,
    answer: deadlineAnswerSchema,
    errors: ['NOT_FOUND', 'CONFLICT', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'],
  },
];

/** Fastify's form of an OpenAPI path: `{beneficiaryId}` becomes `:beneficiaryId`. */
export function fastifyPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
