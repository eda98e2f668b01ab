/**
 * The webhook receiver as a Fastify app: the webhook handler on `POST {path}` (through the same plugin an
 * integrator mounts in their own app), plus `/healthz`, `/readyz` and `/metrics`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from '../logger';
import { createLogger } from '../logger';
import { DEFAULT_WEBHOOK_PATH } from './config';
import { calizaWebhookPlugin } from './fastify-plugin';
import { createWebhookHandler, errorSummary, type WebhookHandlerOptions } from './handler';
import { withinTimeout } from './temporal-availability';
import { DEFAULT_READINESS_TIMEOUT_MS, NotReadyError } from './temporal-delivery';

export interface WebhookAppOptions extends WebhookHandlerOptions {
  /** Route of the webhook; default `/webhooks/caliza`. */
  path?: string;
  /**
   * Rejects when the receiver cannot deliver; `/readyz` answers 503 then, with the reason of a
   * NotReadyError, or 'temporal unreachable' for any other failure. Default: always ready.
   */
  readiness?: () => Promise<void>;
  readinessTimeoutMs?: number;
}

/** A whole request (headers and body) must arrive within this; Caliza gives up after 5 s anyway. */
const REQUEST_TIMEOUT_MS = 10_000;

export type WebhookApp = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;

export function buildWebhookApp(options: WebhookAppOptions): WebhookApp {
  const logger = options.logger ?? createLogger('webhooks');
  const handler = createWebhookHandler({ ...options, logger });
  const readiness = options.readiness ?? (async () => undefined);
  const readinessTimeoutMs = options.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;

  const app = Fastify({
    loggerInstance: logger,
    // One line per delivery is logged by the handler, with its result; Fastify's per-request lines add nothing.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: handler.bodyLimitBytes,
    requestTimeout: REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    // Fastify's own answer to an unparseable URL quotes the URL back, unbounded; answer short instead.
    frameworkErrors: (_error, request, reply: FastifyReply) => {
      const answer = handler.bodyReadFailed('bad_request', request.log);
      void reply.code(answer.status).headers(answer.headers).send(answer.body);
    },
  });
  app.addHook('onClose', async () => handler.close());

  // Routes other than the webhook (which has the plugin's own error handler).
  app.setErrorHandler<FastifyError>((error, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 413)
      return reply.code(413).header('connection', 'close').send({ error: 'body too large' });
    if (status >= 400 && status < 500) return reply.code(status).send({ error: 'bad request' });
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  // No route of this app takes a body but the webhook (whose plugin reads it raw): any other body is read
  // up to the limit and dropped, so a stray POST is a plain 404 and never a parse error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, undefined));

  const path = options.path ?? DEFAULT_WEBHOOK_PATH;
  app.setNotFoundHandler((request, reply) => {
    // A method Fastify has no route for (PROPFIND, TRACE) on the webhook path is still a wrong method.
    const refused = pathOf(request.url) === path ? handler.checkHead(request.method, {}, request.log) : null;
    if (refused) return reply.code(refused.status).headers(refused.headers).send(refused.body);
    return reply.code(404).send({ error: 'not found' });
  });

  void app.register(calizaWebhookPlugin, { handler, path });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    if (!handler.hasSecret())
      return reply.code(503).send({ status: 'not_ready', reason: 'no webhook secret' });
    try {
      await withinTimeout(readiness(), readinessTimeoutMs);
      return reply.code(200).send({ status: 'ready' });
    } catch (err) {
      if (err instanceof NotReadyError) {
        request.log.debug({ reason: err.reason }, 'not ready');
        return reply.code(503).send({ status: 'not_ready', reason: err.reason });
      }
      request.log.debug({ temporalError: errorSummary(err) }, 'not ready');
      return reply.code(503).send({ status: 'not_ready', reason: 'temporal unreachable' });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await handler.metrics.registry.metrics();
    return reply.type(handler.metrics.registry.contentType).send(text);
  });

  return app;
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
