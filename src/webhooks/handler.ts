/**
 * The webhook handler, framework-neutral: raw body and headers in, status, headers and body out. It does
 * every check from the request line to the durable signal (and the forward), in a fixed order, cheapest and
 * least trusting first (docs/webhooks.md has the table of answers). The receiver's own Fastify app, the
 * Fastify plugin and the Express middleware are thin adapters around it.
 */
import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../caliza/signature';
import type { DeliveryResult } from '../client/verification-client';
import type { VerificationEvent } from '../contracts';
import { createLogger, type Logger } from '../logger';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_RETRY_AFTER_SECONDS,
  DEFAULT_TEMPORAL_TIMEOUT_MS,
  answerBudgetProblem,
  deliveryTimeoutFor,
} from './config';
import { ignoredOperation, parseEnvelope, toVerificationEvent } from './envelope';
import { type ForwardOptions, type ForwardResult, WebhookForwarder } from './forwarder';
import { headerValue, type IncomingHeaders } from './headers';
import { type DeliveryResultLabel, WebhookMetrics } from './metrics';
import { RecentDeliveries } from './recent-deliveries';
import { isTemporalUnavailable, withinTimeout } from './temporal-availability';
import type { EventDelivery } from './temporal-delivery';

export interface WebhookHandlerOptions {
  /**
   * Secrets a signature may be made with, current first. A getter is read on every delivery, so an
   * embedding process can supply or rotate the secret after start-up.
   */
  secrets: readonly string[] | (() => readonly string[]);
  /** Largest body accepted; default 64 KiB. */
  bodyLimitBytes?: number;
  delivery: EventDelivery;
  logger?: Logger;
  /**
   * Upper bound on one delivery to Temporal, after which the webhook answers 503. Keep it under Caliza's
   * 5 s and, when `delivery` sets its own gRPC deadline, a little above that deadline. Default 3.5 s.
   */
  deliveryTimeoutMs?: number;
  retryAfterSeconds?: number;
  /**
   * How many recent accepted outcome deliveries are remembered, so that a duplicate is answered without
   * signalling again; default 10,000.
   */
  duplicateWindow?: number;
  /** Registry for the metrics; a new one when absent. */
  registry?: Registry;
  /**
   * Forward to the integrator's own endpoint every event this service does not act on and, with `all`,
   * the outcomes too (after the signal); nothing is forwarded when absent.
   */
  forward?: ForwardOptions | null;
}

/** What the handler logs through: pino, or a framework's request logger (Fastify's is pino). */
export type WebhookLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** One webhook request as any framework can hand it over. */
export interface WebhookRequest {
  method: string;
  headers: IncomingHeaders;
  /** The body exactly as received: the signature is over these bytes. */
  body: Buffer;
  /** The route it came in on, to name the delivery's trace span. */
  path?: string;
}

/** The answer to write back: `body` is JSON text, and `headers` includes its content type. */
export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A failure of the adapter while it read the body, answered like the handler's own refusals. */
export type BodyReadFailure = 'too_large' | 'bad_encoding' | 'bad_request' | 'error';

export interface WebhookHandler {
  /** Every check and the delivery; the request line and headers are checked again (cheaply) first. */
  handle(request: WebhookRequest, log?: WebhookLog): Promise<WebhookResponse>;
  /**
   * The checks that need only the request line and headers (method, declared size, content encoding), for
   * an adapter to run before it reads a byte of the body; null when they pass.
   */
  checkHead(method: string, headers: IncomingHeaders, log?: WebhookLog): WebhookResponse | null;
  /** The answer when the adapter could not read the body (over the limit while streaming, broken). */
  bodyReadFailed(
    failure: BodyReadFailure,
    log?: WebhookLog,
    details?: Record<string, unknown>,
  ): WebhookResponse;
  /** False while no usable secret is known: nothing can be verified yet. */
  hasSecret(): boolean;
  readonly bodyLimitBytes: number;
  readonly metrics: WebhookMetrics;
  /** Releases the forward's kept-alive connections. */
  close(): void;
}

const DEFAULT_DELIVERY_TIMEOUT_MS = deliveryTimeoutFor(DEFAULT_TEMPORAL_TIMEOUT_MS);
const DEFAULT_DUPLICATE_WINDOW = 10_000;
const DELIVERY_RESULT_LABELS = {
  ACCEPTED: 'accepted',
  RECORDED_AFTER_END: 'recorded_after_end',
  ALREADY_ENDED: 'already_ended',
} as const satisfies Record<DeliveryResult, DeliveryResultLabel>;
const CONTENT_ENCODING_ERROR = 'content encoding must be identity';
const JSON_TYPE = 'application/json; charset=utf-8';

const tracer = trace.getTracer('caliza-kyc-temporal/webhooks');

export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1) throw new RangeError('bodyLimitBytes must be >= 1');
  const secrets = secretsGetter(options.secrets);
  const delivery = options.delivery;
  const baseLog = options.logger ?? createLogger('webhooks');
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  const retryAfter = String(options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
  const forwarder = options.forward ? new WebhookForwarder(options.forward) : null;
  if (forwarder) {
    const problem = answerBudgetProblem(deliveryTimeoutMs, forwarder);
    if (problem) throw new RangeError(problem);
  }
  const metrics = new WebhookMetrics(options.registry);
  const recent = new RecentDeliveries(options.duplicateWindow ?? DEFAULT_DUPLICATE_WINDOW);
  /** Deliveries to Temporal still in flight, by key: a copy that arrives meanwhile waits for the first. */
  const inFlight = new Map<string, Promise<DeliveryResult>>();

  const answer = (status: number, body: object, headers: Record<string, string> = {}): WebhookResponse => ({
    status,
    headers: { 'content-type': JSON_TYPE, ...headers },
    body: JSON.stringify(body),
  });

  const refuse = (
    log: WebhookLog,
    status: number,
    result: DeliveryResultLabel,
    error: string,
    details: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): WebhookResponse => {
    metrics.delivery(result);
    const level =
      result === 'error'
        ? 'error'
        : result === 'bad_signature' || result === 'unavailable' || result === 'forward_failed'
          ? 'warn'
          : 'info';
    log[level]({ result, status, ...details }, 'webhook refused');
    return answer(status, { error }, headers);
  };

  // Steps 1–3 look only at the request line and headers, before a byte of the body is read.
  const checkHead = (method: string, headers: IncomingHeaders, log: WebhookLog = baseLog) => {
    if (method.toUpperCase() !== 'POST') {
      return refuse(log, 405, 'bad_request', 'method not allowed', { method }, { allow: 'POST' });
    }
    if (Number(headerValue(headers, 'content-length')) > bodyLimit) {
      // Close rather than drain a body that will not be read.
      return refuse(log, 413, 'too_large', 'body too large', {}, { connection: 'close' });
    }
    if (!isIdentityEncoding(headerValue(headers, 'content-encoding')))
      return bodyReadFailed('bad_encoding', log);
    return null;
  };

  const bodyReadFailed = (
    failure: BodyReadFailure,
    log: WebhookLog = baseLog,
    details: Record<string, unknown> = {},
  ): WebhookResponse => {
    if (failure === 'too_large') {
      return refuse(log, 413, 'too_large', 'body too large', details, { connection: 'close' });
    }
    if (failure === 'bad_encoding') return refuse(log, 415, 'bad_request', CONTENT_ENCODING_ERROR, details);
    if (failure === 'bad_request') return refuse(log, 400, 'bad_request', 'bad request', details);
    return refuse(log, 500, 'error', 'internal error', details);
  };

  const receive = async (request: WebhookRequest, log: WebhookLog): Promise<WebhookResponse> => {
    const head = checkHead(request.method, request.headers, log);
    if (head) return head;
    // Step 4 (the actual size) is enforced by the adapter while the body streams in; checked again here
    // for a caller that hands over a body it read itself.
    const body = request.body;
    if (body.length > bodyLimit) return bodyReadFailed('too_large', log);

    // Step 5: the signature, over the raw bytes, before anything in the body is trusted or parsed.
    const current = secrets();
    if (current.length === 0) {
      // Nothing can be verified yet: ask Caliza to come back rather than refuse a genuine event.
      return refuse(log, 503, 'unavailable', 'not ready', {}, { 'retry-after': retryAfter });
    }
    const signature = headerValue(request.headers, SIGNATURE_HEADER);
    if (signature === undefined || signature.length === 0) {
      metrics.signatureFailure('missing');
      return refuse(log, 401, 'bad_signature', 'invalid signature', { reason: 'missing' });
    }
    if (!verifyWebhookSignature(body, signature, current)) {
      metrics.signatureFailure('invalid');
      return refuse(log, 401, 'bad_signature', 'invalid signature', { reason: 'invalid' });
    }

    // Step 6: JSON, then the operation, then (for the two outcomes only) the envelope.
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(log, 400, 'bad_request', 'body is not JSON');
    }
    const ignored = ignoredOperation(json);
    if (ignored !== null) return notOurs(request, log, ignored);
    const parsed = parseEnvelope(json);
    if (!parsed.ok) {
      return refuse(log, 400, 'bad_request', `invalid envelope: ${parsed.fields.join(', ')}`, {
        fields: parsed.fields,
      });
    }
    const event = toVerificationEvent(parsed.envelope);
    if (event === null) return notOurs(request, log, parsed.envelope.operation);

    // Step 7: hand it to Temporal, and answer 200 only once Temporal durably holds it (and, when
    // forwarding everything, once the integrator's endpoint has it too).
    return deliver(request, log, event);
  };

  /** An event this service does not act on: forwarded when a forward is configured, else acknowledged. */
  const notOurs = async (
    request: WebhookRequest,
    log: WebhookLog,
    operation: string,
  ): Promise<WebhookResponse> => {
    // Signed, so Caliza's own text; still cut short, as nothing else bounds its length.
    const context = { operation: operation.slice(0, 128) };
    if (forwarder) return forwardThen(request, log, context, () => ({ status: 'forwarded' }), 'forwarded');
    metrics.delivery('ignored');
    log.debug({ result: 'ignored', ...context }, 'webhook ignored');
    return answer(200, { status: 'ignored' });
  };

  /**
   * Forwards, then answers `success()` with 200 when the downstream took it, or 502/504 (Caliza delivers
   * again) when it did not.
   */
  const forwardThen = async (
    request: WebhookRequest,
    log: WebhookLog,
    context: Record<string, unknown>,
    success: () => object,
    result: DeliveryResultLabel,
  ): Promise<WebhookResponse> => {
    const forwarded = await forward(request);
    if (forwarded.outcome !== 'delivered') {
      const details = { ...context, forward: forwardSummary(forwarded) };
      const retry = { 'retry-after': retryAfter };
      if (forwarded.outcome === 'timeout') {
        return refuse(log, 504, 'forward_failed', 'forward timed out', details, retry);
      }
      const error =
        forwarded.outcome === 'rejected'
          ? `forward failed: downstream answered ${forwarded.status}`
          : 'forward failed: downstream unreachable';
      return refuse(log, 502, 'forward_failed', error, details, retry);
    }
    metrics.delivery(result);
    log.info({ ...context, result, forward: forwardSummary(forwarded) }, 'webhook forwarded');
    return answer(200, success());
  };

  const forward = async (request: WebhookRequest): Promise<ForwardResult> => {
    const result = await (forwarder as WebhookForwarder).forward(request.body, request.headers);
    metrics.forward(result.outcome, result.durationMs / 1000);
    return result;
  };

  /**
   * Hands the event to Temporal, once: a copy of an event Temporal already accepted is answered without a
   * signal (null), and a copy that arrives while the first is in flight shares its answer.
   */
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

  const deliver = async (
    request: WebhookRequest,
    log: WebhookLog,
    event: VerificationEvent,
  ): Promise<WebhookResponse> => {
    const context = { operation: event.operation, beneficiaryId: event.beneficiaryId };
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    let result: DeliveryResultLabel;
    try {
      const delivered = await deliverOnce(event);
      if (delivered === null) {
        result = 'duplicate';
        metrics.duplicate();
        log.info({ ...context, result }, 'duplicate webhook, already accepted');
      } else {
        result = DELIVERY_RESULT_LABELS[delivered];
        metrics.signalDuration(result, elapsed());
        if (delivered === 'ALREADY_ENDED') {
          // Acknowledged but recorded nowhere: worth an operator's look when it keeps happening.
          metrics.alreadyEndedEvent(event.operation);
          log.warn({ ...context, result }, 'webhook for a verification that already ended');
        } else {
          log.info({ ...context, result, durationMs: Math.round(elapsed() * 1000) }, 'webhook delivered');
        }
      }
    } catch (err) {
      const temporalError = errorSummary(err);
      if (isTemporalUnavailable(err)) {
        metrics.signalDuration('unavailable', elapsed());
        return refuse(
          log,
          503,
          'unavailable',
          'temporarily unavailable',
          { ...context, temporalError },
          { 'retry-after': retryAfter },
        );
      }
      metrics.signalDuration('error', elapsed());
      return refuse(log, 500, 'error', 'internal error', { ...context, temporalError });
    }
    // Signalled first, so that the integrator's handler, once it has the event, finds it in the
    // verification's state; a copy after a failed forward is a duplicate here and forwarded again.
    if (forwarder?.all) {
      return forwardThen(request, log, context, () => ({ status: result, forwarded: true }), result);
    }
    metrics.delivery(result);
    return answer(200, { status: result });
  };

  // One span per delivery, the root of the trace that follows it into the workflow (a no-op unless tracing is on).
  const handle = (request: WebhookRequest, log: WebhookLog = baseLog): Promise<WebhookResponse> =>
    tracer.startActiveSpan(
      `${request.method} ${request.path ?? 'webhook'}`,
      { kind: SpanKind.SERVER },
      async (span) => {
        try {
          const response = await receive(request, log);
          span.setAttribute('http.response.status_code', response.status);
          if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          return response;
        } catch (err) {
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw err;
        } finally {
          span.end();
        }
      },
    );

  return {
    handle,
    checkHead,
    bodyReadFailed,
    hasSecret: () => secrets().length > 0,
    bodyLimitBytes: bodyLimit,
    metrics,
    close: () => forwarder?.close(),
  };
}

function secretsGetter(secrets: WebhookHandlerOptions['secrets']): () => readonly string[] {
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
function isIdentityEncoding(encoding: string | undefined): boolean {
  return encoding === undefined || encoding.trim().toLowerCase() === 'identity' || encoding.trim() === '';
}

function forwardSummary(result: ForwardResult): Record<string, unknown> {
  return {
    outcome: result.outcome,
    durationMs: result.durationMs,
    ...(result.status !== undefined && { status: result.status }),
    ...(result.error !== undefined && { error: result.error }),
  };
}

/**
 * Name, message, cause and gRPC code only: no stack, and nothing from the request. Logged under its own key,
 * as pino's `err` serializer expects an Error.
 */
export function errorSummary(err: unknown): Record<string, unknown> {
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
