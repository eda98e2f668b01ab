/**
 * The webhook handler as an Express (or Connect, or plain `node:http`) middleware. It is typed with Node's
 * own request and response, which Express's extend, so the service needs no Express at run time: the
 * integrator's app brings its own.
 *
 * It reads the body itself, as raw bytes, with the size limit enforced while they stream in. Mount it
 * before any body parser that would match the webhook route (a JSON parser on other routes, or one
 * registered after it, is fine); a body that `express.raw()` already read as a Buffer is taken as is.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookHandler, WebhookResponse } from './handler';

/** What Express adds to the request that matters here: a body a parser may already have read. */
type Request = IncomingMessage & { body?: unknown };

export type WebhookMiddleware = (
  request: Request,
  response: ServerResponse,
  next: (err?: unknown) => void,
) => void;

export function calizaWebhookMiddleware(handler: WebhookHandler): WebhookMiddleware {
  return (request, response, next) => {
    const method = request.method ?? 'GET';
    const refused = handler.checkHead(method, request.headers);
    if (refused) {
      // Nothing of a refused body is read; a `Connection: close` answer has Node close the socket after it.
      write(response, refused);
      return;
    }
    rawBody(request, handler.bodyLimitBytes)
      .then(async (body) => {
        if (typeof body === 'string') {
          const problem =
            body === 'error' && 'the body was parsed before the webhook handler: mount it first';
          write(response, handler.bodyReadFailed(body, undefined, problem ? { problem } : {}));
          return;
        }
        write(
          response,
          await handler.handle({ method, headers: request.headers, body, path: request.url?.split('?')[0] }),
        );
      })
      .catch(next);
  };
}

/**
 * The body's bytes; 'too_large' past the limit, 'bad_request' when the stream breaks off, 'error' when a
 * parser already turned it into something else (the signed bytes are gone then).
 */
function rawBody(request: Request, limit: number): Promise<Buffer | 'too_large' | 'bad_request' | 'error'> {
  if (Buffer.isBuffer(request.body)) {
    return Promise.resolve(request.body.length > limit ? 'too_large' : request.body);
  }
  if (request.body !== undefined || request.readableEnded) return Promise.resolve('error');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: Buffer | 'too_large' | 'bad_request') => {
      request.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.pause();
        done('too_large');
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => done(Buffer.concat(chunks, size)));
    request.once('error', () => done('bad_request'));
    request.once('aborted', () => done('bad_request'));
  });
}

function write(response: ServerResponse, answer: WebhookResponse): void {
  if (response.headersSent) return;
  response.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  response.end(answer.body);
}
