import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { PayloadDecryptionError } from './encryption-codec';
import { payloadFromJson, payloadToJson, payloadsJsonSchema } from './payload-json';

export const DEFAULT_CODEC_PORT = 8888;
/** The dev server's Web UI, under both names a browser may use for it. */
export const DEFAULT_UI_ORIGINS: readonly string[] = ['http://127.0.0.1:8233', 'http://localhost:8233'];
/** A page of history decoded by the UI is far below this; Temporal caps one payload at 2 MB by default. */
export const DEFAULT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Loopback by default: the server decrypts for whoever can reach it. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Browser origins allowed to call the server (CORS); requests without an Origin header are not browsers. */
  allowedOrigins?: readonly string[];
  /** When set, every request needs `Authorization: Bearer <token>` (the CLI's `--codec-auth`). */
  authToken?: string;
  /** When set, only requests whose `X-Namespace` is one of these are served. */
  namespaces?: readonly string[];
  bodyLimitBytes?: number;
  logger?: FastifyBaseLogger;
}

export interface CodecServerHandle {
  /** Base URL to give the UI (`--ui-codec-endpoint`) or the CLI (`--codec-endpoint`). */
  url: string;
  close(): Promise<void>;
}

const ALLOWED_HEADERS = 'content-type, x-namespace, authorization';

/** The codec server, not yet listening (`startCodecServer` is the usual entry). */
export function buildCodecServer(options: CodecServerOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
  });
  const allowedOrigins = new Set(options.allowedOrigins ?? DEFAULT_UI_ORIGINS);
  const namespaces = options.namespaces ? new Set(options.namespaces) : null;
  const expectedAuth = options.authToken ? digest(`Bearer ${options.authToken}`) : null;

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (!allowedOrigins.has(origin)) {
      // No CORS headers: the browser blocks the page, and the server does no work for it either.
      return refuse(reply, 403, 'origin not allowed');
    }
    reply
      .header('access-control-allow-origin', origin)
      .header('access-control-allow-credentials', 'true')
      .header('vary', 'Origin');
  });

  // Preflights carry no credentials, so they are answered before the token check.
  app.options('/*', async (_request, reply) =>
    reply
      .code(204)
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', '600')
      .send(),
  );

  // Checked before the body is read, so an unauthorised caller cannot make the server parse megabytes.
  const authorize = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> => {
    if (expectedAuth) {
      const given = request.headers.authorization;
      if (!given || !timingSafeEqual(digest(given), expectedAuth)) {
        reply.header('www-authenticate', 'Bearer');
        return refuse(reply, 401, 'missing or wrong bearer token');
      }
    }
    if (namespaces) {
      const namespace = request.headers['x-namespace'];
      if (typeof namespace !== 'string' || !namespaces.has(namespace)) {
        return refuse(reply, 403, 'namespace not served by this codec server');
      }
    }
    return undefined;
  };

  // The protocol looks only at the last path segment, so the server can be mounted under any prefix.
  app.post('/*', { onRequest: authorize }, async (request, reply) => {
    const operation = lastSegment(request.url);
    if (operation !== 'encode' && operation !== 'decode') {
      return refuse(reply, 404, 'expected …/encode or …/decode');
    }
    const parsed = payloadsJsonSchema.safeParse(request.body);
    if (!parsed.success) {
      return refuse(reply, 400, 'body must be { payloads: [{ metadata: { k: base64 }, data: base64 }] }');
    }
    const payloads = parsed.data.payloads.map(payloadFromJson);
    try {
      const converted =
        operation === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      return reply.send({ payloads: converted.map(payloadToJson) });
    } catch (err) {
      if (err instanceof PayloadDecryptionError) return refuse(reply, 400, err.message);
      throw err;
    }
  });

  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'codec request failed');
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : error.message });
  });
  return app;
}

/** Starts the codec server; resolves once it listens. */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServerHandle> {
  const app = buildCodecServer(options);
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? DEFAULT_CODEC_PORT });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, close: () => app.close() };
}

function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ error: message });
}

function lastSegment(url: string): string {
  const path = url.split('?', 1)[0] ?? '';
  return path.replace(/\/+$/, '').split('/').pop() ?? '';
}

/** Fixed-length digests make the comparison constant-time whatever the header's length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
