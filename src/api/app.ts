/**
 * The HTTP API as a Fastify app: the operations of `routes.ts` behind bearer API keys, `/openapi.json`
 * and `/healthz` open. Every request is validated with the routes' zod schemas and every answer shaped
 * with them; every refusal has one body, `{ code, message, details }`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { createLogger, type Logger } from '../logger';
import { bearerKey, isKnownApiKey } from './api-keys';
import { ApiError, parseOrRefuse } from './errors';
import { buildOpenApiDocument } from './openapi';
import { API_ROUTES, type ApiRoute, type OperationId, PATH_PARAMETER, fastifyPath } from './routes';
import { beneficiaryIdSchema, deadlineRequestSchema, startRequestSchema, waitQuerySchema } from './schemas';
import type { VerificationApi } from './verification-api';

export interface ApiAppOptions {
  api: VerificationApi;
  /** SHA-256 digests of the accepted keys (`API_KEY_HASHES`). */
  keyHashes: readonly Buffer[];
  logger?: Logger;
  bodyLimitBytes?: number;
}

export type ApiApp = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;

const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;
const OPEN_PATHS = new Set(['/openapi.json', '/healthz']);
/** A start may wait 60 s for its session; a request gets a little more than that as a whole. */
const REQUEST_TIMEOUT_MS = 90_000;
const RETRY_AFTER_SECONDS = '2';

interface Handled {
  params: { beneficiaryId?: string };
  body: unknown;
  query: unknown;
}

export function buildApiApp(options: ApiAppOptions): ApiApp {
  const { api, keyHashes } = options;
  const logger = options.logger ?? createLogger('api');
  const document = buildOpenApiDocument();
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    // Longer than any beneficiary id, so that a long one gets the API's 400 rather than Fastify's 414.
    routerOptions: { maxParamLength: 256 },
    // Fastify's own answer to an unparseable URL quotes it back; answer in the API's shape instead.
    frameworkErrors: (_error, _request, reply: FastifyReply) => {
      void send(reply, new ApiError('INVALID_REQUEST', 'the request URL cannot be parsed'));
    },
  });

  // JSON only, and an empty body is no body (a POST /cancel may carry a JSON content type and nothing else).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim().length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(new ApiError('INVALID_REQUEST', 'the body is not JSON'), undefined);
    }
  });

  app.addHook('onRequest', (request, reply, done) => {
    if (OPEN_PATHS.has(pathOf(request))) return done();
    const key = bearerKey(request.headers.authorization);
    if (key === null || !isKnownApiKey(key, keyHashes)) {
      reply.header('www-authenticate', 'Bearer');
      request.log.info({ reason: key === null ? 'missing' : 'unknown key' }, 'request refused');
      void send(
        reply,
        new ApiError('UNAUTHORIZED', 'a valid API key is required (Authorization: Bearer <key>)'),
      );
      return;
    }
    // Before Fastify looks at the body: a method no operation here has gets 405, whatever it carries.
    const allowed = methodsAllowedAt(pathOf(request));
    if (allowed.length > 0 && !allowed.includes(request.method as ApiRoute['method'])) {
      void refuseMethod(request, reply, allowed);
      return;
    }
    done();
  });

  app.setErrorHandler<FastifyError | ApiError>((error, request, reply) => {
    if (error instanceof ApiError) {
      if (error.code === 'UNAVAILABLE') reply.header('retry-after', RETRY_AFTER_SECONDS);
      return send(reply, error);
    }
    const status = error.statusCode ?? 500;
    if (status === 413) return send(reply, new ApiError('PAYLOAD_TOO_LARGE', 'the body is too large'));
    if (status === 415) {
      return send(reply, new ApiError('UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json'));
    }
    if (status >= 400 && status < 500) return send(reply, new ApiError('INVALID_REQUEST', error.message));
    request.log.error({ err: error }, 'request failed');
    return send(reply, new ApiError('INTERNAL', 'internal error'));
  });

  const handlers: Record<OperationId, (request: Handled) => Promise<unknown>> = {
    startVerification: ({ body }) => api.start(parseOrRefuse(startRequestSchema, body ?? {}, 'body')),
    getVerification: ({ params }) => api.state(beneficiaryOf(params)),
    waitForResult: ({ params, query }) => {
      const { waitSeconds } = parseOrRefuse(waitQuerySchema, integerQuery(query), 'query');
      return api.wait(beneficiaryOf(params), waitSeconds);
    },
    cancel: ({ params }) => api.cancel(beneficiaryOf(params)),
    extendDeadline: ({ params, body }) => {
      const { deadlineAt } = parseOrRefuse(deadlineRequestSchema, body ?? {}, 'body');
      return api.extendDeadline(beneficiaryOf(params), deadlineAt);
    },
  };

  for (const route of API_ROUTES) {
    app.route({
      method: route.method,
      url: fastifyPath(route.path),
      handler: async (request) => {
        if (route.body === undefined && request.body !== undefined) {
          throw new ApiError('INVALID_REQUEST', 'this operation takes no body');
        }
        if (route.query === undefined && Object.keys(request.query as object).length > 0) {
          throw new ApiError('INVALID_REQUEST', 'this operation takes no query parameters');
        }
        const answer = await handlers[route.operationId](request as unknown as Handled);
        // Shaped by the documented schema: the document describes exactly what is sent.
        return route.answer.parse(answer);
      },
    });
  }

  app.get('/openapi.json', async () => document);
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.setNotFoundHandler((request, reply) => {
    const allowed = methodsAllowedAt(pathOf(request));
    if (allowed.length > 0) return refuseMethod(request, reply, allowed);
    return send(reply, new ApiError('NOT_FOUND', 'no such operation'));
  });
  return app;
}

function send(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.status).type('application/json').send(error.body());
}

function refuseMethod(
  request: FastifyRequest,
  reply: FastifyReply,
  allowed: readonly string[],
): FastifyReply {
  reply.header('allow', allowed.join(', '));
  return send(reply, new ApiError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here`));
}

function pathOf(request: FastifyRequest): string {
  const query = request.url.indexOf('?');
  return query === -1 ? request.url : request.url.slice(0, query);
}

function beneficiaryOf(params: Handled['params']): string {
  return parseOrRefuse(beneficiaryIdSchema, params[PATH_PARAMETER.name], `path.${PATH_PARAMETER.name}`);
}

/**
 * Query values arrive as strings; a whole number in decimal is read as a number and anything else is left
 * as it came, so the schema refuses it (no `Number('')` = 0 nor `Number('1e1')` = 10).
 */
function integerQuery(query: unknown): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    values[name] = typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
  }
  return values;
}

/** The methods of the operations whose path matches `path`, for a 405's Allow header. */
function methodsAllowedAt(path: string): ApiRoute['method'][] {
  return API_ROUTES.filter((route) => {
    const pattern = new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`);
    return pattern.test(path);
  }).map((route) => route.method);
}
