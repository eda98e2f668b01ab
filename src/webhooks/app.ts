/**
 * The webhook receiver as a Fastify app: `POST {path}` for Caliza's signed webhooks, plus `/healthz`,
 * `/readyz` and `/metrics`. The checks run in a fixed order, cheapest and least trusting first; see
 * docs/webhooks.md for the table of answers.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Registry } from 'prom-client';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../caliza/signature';
import type { DeliveryResult } from '../client/verification-client';
import type { VerificationEvent } from '../contracts';
import { createLogger, type Logger } from '../logger';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_RETRY_AFTER_SECONDS,
  DEFAULT_TEMPORAL_TIMEOUT_MS,
  DEFAULT_WEBHOOK_PATH,
  deliveryTimeoutFor,
  webhookPathProblem,
} from './config';
import { ignoredOperation, parseEnvelope, toVerificationEvent } from './envelope';
import { type DeliveryResultLabel, WebhookMetrics } from './metrics';
import { RecentDeliveries } from './recent-deliveries';
import { isTemporalUnavailable, withinTimeout } from './temporal-availability';
import { DEFAULT_READINESS_TIMEOUT_MS, type EventDelivery, NotReadyError } from './temporal-delivery';

export interface WebhookAppOptions {
  /** Route of the webhook; default `/webhooks/caliza`. */
  path?: string;
  /**
   * Secrets a signature may be made with, current first. A getter is read on every delivery, so an
   * embedding process can supply or rotate the secret after start-up.
   */
  secrets: readonly string[] | (() => readonly string[]);
  /** Largest body accepted; default 64 KiB. */
  bodyLimitBytes?: number;
  delivery: EventDelivery;
  /**
   * Rejects when the receiver cannot deliver; `/readyz` answers 503 then, with the reason of a
   * NotReadyError, or 'temporal unreachable' for any other failure. Default: always ready.
   */
  readiness?: () => Promise<void>;
  logger?: Logger;
  /**
   * Upper bound on one delivery to Temporal, after which the webhook answers 503. Keep it under Caliza's
   * 5 s and, when `delivery` sets its own gRPC deadline, a little above that deadline. Default 3.5 s.
   */
  deliveryTimeoutMs?: number;
  readinessTimeoutMs?: number;
  retryAfterSeconds?: number;
  /**
   * How many recent accepted outcome deliveries are remembered, so that a duplicate is answered without
   * signalling again; default 10,000.
   */
  duplicateWindow?: number;
  /** Registry for the metrics; a new one when absent. */
  registry?: Registry;
}

const DEFAULT_DELIVERY_TIMEOUT_MS = deliveryTimeoutFor(DEFAULT_TEMPORAL_TIMEOUT_MS);
const tracer = trace.getTracer('caliza-kyc-temporal/webhooks');
const DELIVERY_RESULT_LABELS = {
  ACCEPTED: 'accepted',
  RECORDED_AFTER_END: 'recorded_after_end',
  ALREADY_ENDED: 'already_ended',
} as const satisfies Record<DeliveryResult, DeliveryResultLabel>;
const DEFAULT_DUPLICATE_WINDOW = 10_000;
/** The one body parser: every webhook body is read as raw bytes under this type. */
const RAW_BODY_TYPE = 'application/octet-stream';
const CONTENT_ENCODING_ERROR = 'content encoding must be identity';
/** A whole request (headers and body) must arrive within this; Caliza gives up after 5 s anyway. */
const REQUEST_TIMEOUT_MS = 10_000;

type Reply = FastifyReply;

export type WebhookApp = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;

export function buildWebhookApp(options: WebhookAppOptions): WebhookApp {
  const path = options.path ?? DEFAULT_WEBHOOK_PATH;
  const pathProblem = webhookPathProblem(path);
  if (pathProblem) throw new Error(`path ${pathProblem}`);
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1) throw new RangeError('bodyLimitBytes must be >= 1');
  const secrets = secretsGetter(options.secrets);
  const delivery = options.delivery;
  const readiness = options.readiness ?? (async () => undefined);
  const logger = options.logger ?? createLogger('webhooks');
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  const readinessTimeoutMs = options.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
  const retryAfter = String(options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
  const metrics = new WebhookMetrics(options.registry);
  const recent = new RecentDeliveries(options.duplicateWindow ?? DEFAULT_DUPLICATE_WINDOW);
  /** Deliveries to Temporal still in flight, by key: a copy that arrives meanwhile waits for the first. */
  const inFlight = new Map<string, Promise<DeliveryResult>>();

  const app = Fastify({
    loggerInstance: logger,
    // One line per delivery is logged below, with its result; Fastify's per-request lines add nothing.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    requestTimeout: REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    // Fastify's own answer to an unparseable URL quotes the URL back, unbounded; answer short instead.
    frameworkErrors: (_error, _request, reply: FastifyReply) => {
      metrics.delivery('bad_request');
      void reply.code(400).send({ error: 'bad request' });
    },
  });

  const isWebhookRequest = (request: FastifyRequest): boolean => {
    const url = request.url;
    const query = url.indexOf('?');
    return (query === -1 ? url : url.slice(0, query)) === path;
  };

  const refuse = (
    request: FastifyRequest,
    reply: Reply,
    status: number,
    result: DeliveryResultLabel,
    error: string,
    details: Record<string, unknown> = {},
  ): Reply => {
    metrics.delivery(result);
    const level =
      result === 'error' ? 'error' : result === 'bad_signature' || result === 'unavailable' ? 'warn' : 'info';
    request.log[level]({ result, status, ...details }, 'webhook refused');
    return reply.code(status).send({ error });
  };

  // Steps 1–3 look only at the request line and headers, before a byte of the body is read.
  app.addHook('onRequest', (request, reply, done) => {
    if (!isWebhookRequest(request)) return done();
    if (request.method !== 'POST') {
      reply.header('allow', 'POST');
      refuse(request, reply, 405, 'bad_request', 'method not allowed', { method: request.method });
      return;
    }
    const declaredLength = Number(request.headers['content-length']);
    if (declaredLength > bodyLimit) {
      // Close rather than drain a body that will not be read.
      reply.header('connection', 'close');
      refuse(request, reply, 413, 'too_large', 'body too large');
      return;
    }
    if (!isIdentityEncoding(request.headers)) {
      refuse(request, reply, 415, 'bad_request', CONTENT_ENCODING_ERROR);
      return;
    }
    // Caliza's media type is not documented, and the signature covers the bytes whatever they are called:
    // the body is read raw under any Content-Type, none, or one Fastify could not even parse.
    request.headers = { 'content-type': RAW_BODY_TYPE };
    done();
  });

  // Step 4, reading the body: streamed with the limit enforced as bytes arrive (chunked bodies included),
  // kept as the exact bytes, since the signature is over them and JSON is parsed only once it is checked.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(RAW_BODY_TYPE, { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
    done(null, body),
  );

  app.setErrorHandler<FastifyError>((error, request, reply) => {
    const status = error.statusCode ?? 500;
    const webhook = isWebhookRequest(request);
    if (status === 413) {
      reply.header('connection', 'close');
      if (webhook) return refuse(request, reply, 413, 'too_large', 'body too large');
      return reply.code(413).send({ error: 'body too large' });
    }
    if (status >= 400 && status < 500) {
      const message = status === 415 ? CONTENT_ENCODING_ERROR : 'bad request';
      if (webhook) return refuse(request, reply, status, 'bad_request', message, { code: error.code });
      return reply.code(status).send({ error: message });
    }
    if (webhook) return refuse(request, reply, 500, 'error', 'internal error', { err: error });
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));

  // One span per delivery, the root of the trace that follows it into the workflow (a no-op unless tracing is on).
  app.post(path, (request, reply) =>
    tracer.startActiveSpan(`POST ${path}`, { kind: SpanKind.SERVER }, async (span) => {
      try {
        return await receive(request, reply);
      } finally {
        span.setAttribute('http.response.status_code', reply.statusCode);
        if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    }),
  );

  const receive = async (request: FastifyRequest, reply: Reply): Promise<Reply> => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);

    // Step 5: the signature, over the raw bytes, before anything in the body is trusted or parsed.
    const current = secrets();
    if (current.length === 0) {
      // Nothing can be verified yet: ask Caliza to come back rather than refuse a genuine event.
      reply.header('retry-after', retryAfter);
      return refuse(request, reply, 503, 'unavailable', 'not ready');
    }
    const signature = request.headers[SIGNATURE_HEADER];
    if (typeof signature !== 'string' || signature.length === 0) {
      metrics.signatureFailure('missing');
      return refuse(request, reply, 401, 'bad_signature', 'invalid signature', { reason: 'missing' });
    }
    if (!verifyWebhookSignature(body, signature, current)) {
      metrics.signatureFailure('invalid');
      return refuse(request, reply, 401, 'bad_signature', 'invalid signature', { reason: 'invalid' });
    }

    // Step 6: JSON, then the operation, then (for the two outcomes only) the envelope.
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(request, reply, 400, 'bad_request', 'body is not JSON');
    }
    const ignored = ignoredOperation(json);
    if (ignored !== null) return ignore(request, reply, ignored);
    const parsed = parseEnvelope(json);
    if (!parsed.ok) {
      return refuse(request, reply, 400, 'bad_request', `invalid envelope: ${parsed.fields.join(', ')}`, {
        fields: parsed.fields,
      });
    }
    const event = toVerificationEvent(parsed.envelope);
    if (event === null) return ignore(request, reply, parsed.envelope.operation);

    // Step 7: hand it to Temporal, and answer 200 only once Temporal durably holds it.
    return deliver(request, reply, event);
  };

  /**
   * Hands the event to Temporal, once: a copy of an event Temporal already accepted is answered without a
   * signal (null), and a copy that arrives while the first is in flight shares its answer.
   */
  const ignore = (request: FastifyRequest, reply: Reply, operation: string): Reply => {
    metrics.delivery('ignored');
    // Signed, so Caliza's own text; still cut short, as nothing else bounds its length.
    request.log.debug({ result: 'ignored', operation: operation.slice(0, 128) }, 'webhook ignored');
    return reply.code(200).send({ status: 'ignored' });
  };

  const deliverOnce = async (event: VerificationEvent): Promise<DeliveryResult | null> => {
    const key = `${event.beneficiaryId}\n${event.operation}\n${event.createdAt}`;
    if (recent.has(key)) return null;
    const pending = inFlight.get(key);
    if (pending) {
      const delivered = await pending;
      return delivered === 'ALREADY_ENDED' ? delivered : null;
    }
    const delivering = withinTimeout(delivery.deliverEvent(event), deliveryTimeoutMs);
    inFlight.set(key, delivering);
    try {
      const delivered = await delivering;
      // Only an accepted event is remembered: after a failure, the next copy is delivered again.
      if (delivered !== 'ALREADY_ENDED') recent.seen(key);
      return delivered;
    } finally {
      inFlight.delete(key);
    }
  };

  const deliver = async (request: FastifyRequest, reply: Reply, event: VerificationEvent): Promise<Reply> => {
    const context = { operation: event.operation, beneficiaryId: event.beneficiaryId };
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    try {
      const delivered = await deliverOnce(event);
      if (delivered === null) {
        metrics.delivery('duplicate');
        metrics.duplicate();
        request.log.info({ ...context, result: 'duplicate' }, 'duplicate webhook, already accepted');
        return reply.code(200).send({ status: 'duplicate' });
      }
      const result = DELIVERY_RESULT_LABELS[delivered];
      metrics.signalDuration(result, elapsed());
      metrics.delivery(result);
      if (delivered === 'ALREADY_ENDED') {
        // Acknowledged but recorded nowhere: worth an operator's look when it keeps happening.
        metrics.alreadyEndedEvent(event.operation);
        request.log.warn({ ...context, result }, 'webhook for a verification that already ended');
      } else {
        request.log.info(
          { ...context, result, durationMs: Math.round(elapsed() * 1000) },
          'webhook delivered',
        );
      }
      return reply.code(200).send({ status: result });
    } catch (err) {
      if (isTemporalUnavailable(err)) {
        metrics.signalDuration('unavailable', elapsed());
        reply.header('retry-after', retryAfter);
        return refuse(request, reply, 503, 'unavailable', 'temporarily unavailable', {
          ...context,
          temporalError: errorSummary(err),
        });
      }
      metrics.signalDuration('error', elapsed());
      return refuse(request, reply, 500, 'error', 'internal error', {
        ...context,
        temporalError: errorSummary(err),
      });
    }
  };

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    if (secrets().length === 0)
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
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  return app;
}

function secretsGetter(secrets: WebhookAppOptions['secrets']): () => readonly string[] {
  if (typeof secrets !== 'function') {
    const fixed = usable(secrets);
    if (fixed.length === 0) throw new Error('secrets must contain at least one non-empty secret');
    return () => fixed;
  }
  return () => {
    try {
      return usable(secrets());
    } catch {
      return [];
    }
  };
}

/** The same array when every entry is usable, so a well-behaved getter costs no allocation. */
function usable(secrets: readonly string[]): readonly string[] {
  const ok = (secret: unknown): boolean => typeof secret === 'string' && secret.length > 0;
  return secrets.every(ok) ? secrets : secrets.filter(ok);
}

/** The signature is over the bytes as sent; a compressed body would be bytes this receiver never sees. */
function isIdentityEncoding(headers: FastifyRequest['headers']): boolean {
  const encoding = headers['content-encoding'];
  return encoding === undefined || encoding.trim().toLowerCase() === 'identity' || encoding.trim() === '';
}

/**
 * Name, message, cause and gRPC code only: no stack, and nothing from the request. Logged under its own key,
 * as pino's `err` serializer expects an Error.
 */
function errorSummary(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const cause = err.cause instanceof Error ? err.cause : null;
  const code = (cause as { code?: unknown } | null)?.code ?? (err as { code?: unknown }).code;
  return {
    type: err.name,
    message: err.message,
    ...(cause && { cause: cause.message }),
    ...(code !== undefined && { code }),
  };
}
