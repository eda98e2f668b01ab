import type { FastifyReply, FastifyRequest } from 'fastify';
import { newTraceId } from './ids';

export const CORE_API_PREFIX = '/core-api';

/** Caliza's coded error body. */
export interface CodedError {
  code: string;
  message: string;
  traceId: string;
  path: string;
}

/** The request path as Caliza reports it: after `/core-api`, without the query string. */
export function calizaPath(url: string): string {
  const path = url.split('?')[0] ?? url;
  return path.startsWith(CORE_API_PREFIX) ? path.slice(CORE_API_PREFIX.length) || '/' : path;
}

export function codedError(request: FastifyRequest, code: string, message: string): CodedError {
  return { code, message, traceId: newTraceId(), path: calizaPath(request.url) };
}

export function sendCoded(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
): FastifyReply {
  return reply.code(status).send(codedError(request, code, message));
}

export function sendValidation(reply: FastifyReply, errors: string[]): FastifyReply {
  return reply.code(400).send({ errors });
}

/** An error carrying an HTTP status, for content-type parsers. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** 404 for a beneficiary that has no verification session yet (a documented choice, see undocumented-behaviour). */
export function sendNoSession(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendCoded(
    request,
    reply,
    404,
    'verification.not_found',
    'No verification session for this beneficiary',
  );
}
