/**
 * The webhook handler as a Fastify plugin, for an integrator's own Fastify app and for the receiver's app
 * alike. It is registered without fastify-plugin on purpose: its raw-body parser and error handler stay
 * inside its own context, so the app's JSON parser on every other route is untouched, and the webhook
 * route reads the exact bytes Caliza signed whatever the app parses elsewhere.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { DEFAULT_WEBHOOK_PATH, webhookPathProblem } from './config';
import { type WebhookHandler, type WebhookResponse } from './handler';

export interface CalizaWebhookPluginOptions {
  handler: WebhookHandler;
  /** Route of the webhook inside the plugin's prefix; default `/webhooks/caliza`. */
  path?: string;
}

/** The one body parser of the webhook route: every body is read as raw bytes under this type. */
const RAW_BODY_TYPE = 'application/octet-stream';
/** POST is the webhook; every other method on the path is answered 405 rather than 404. */
const METHODS: HTTPMethods[] = ['POST', 'GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

export const calizaWebhookPlugin: FastifyPluginAsync<CalizaWebhookPluginOptions> = async (app, options) => {
  const { handler } = options;
  const path = options.path ?? DEFAULT_WEBHOOK_PATH;
  const pathProblem = webhookPathProblem(path);
  if (pathProblem) throw new Error(`path ${pathProblem}`);
  const bodyLimit = handler.bodyLimitBytes;

  // Step 4, reading the body: streamed with the limit enforced as bytes arrive (chunked bodies included),
  // kept as the exact bytes, since the signature is over them and JSON is parsed only once it is checked.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(RAW_BODY_TYPE, { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
    done(null, body),
  );

  app.setErrorHandler<FastifyError>((error, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 413) return send(reply, handler.bodyReadFailed('too_large', request.log));
    if (status >= 400 && status < 500) {
      const failure = status === 415 ? 'bad_encoding' : 'bad_request';
      return send(reply, handler.bodyReadFailed(failure, request.log, { code: error.code }));
    }
    return send(reply, handler.bodyReadFailed('error', request.log, { err: error }));
  });

  app.route({
    method: METHODS,
    url: path,
    bodyLimit,
    // Steps 1–3 look only at the request line and headers, before a byte of the body is read.
    onRequest: (request, reply, done) => {
      const refused = handler.checkHead(request.method, request.raw.headers, request.log);
      if (refused) {
        send(reply, refused);
        return;
      }
      // Caliza's media type is not documented, and the signature covers the bytes whatever they are
      // called: the body is read raw under any Content-Type, none, or one Fastify could not even parse.
      // The original headers stay on `request.raw` for the handler (and the forward).
      request.headers = { 'content-type': RAW_BODY_TYPE };
      done();
    },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const answer = await handler.handle(
        { method: request.method, headers: request.raw.headers, body, path },
        request.log,
      );
      return send(reply, answer);
    },
  });
};

function send(reply: FastifyReply, answer: WebhookResponse): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}
