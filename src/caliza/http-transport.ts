import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import axios, { type AxiosInstance } from 'axios';
import { CalizaNetworkError, type CalizaEndpoint, type CalizaNetworkReason, type HttpMethod } from './errors';
import type { CalizaLogger } from './logger';
import { type CalizaMetrics, calizaRoute } from './metrics';

/** Spans of Caliza calls; a no-op unless the process switched tracing on (OTEL_* variables). */
const tracer = trace.getTracer('caliza-kyc-temporal/caliza');

/** Caliza's JSON answers are a few KB; anything far larger is not an answer worth buffering. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface TransportRequest {
  endpoint: CalizaEndpoint;
  method: HttpMethod;
  url: string;
  /** What logs and errors show; never includes a query string or credentials. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The caller giving up (an activity cancelled): the request is aborted and `send` rejects with its reason. */
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  /** Parsed JSON when the body is JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
  retryAfter: string | undefined;
}

/**
 * Sends one request with a hard deadline and turns every failure without an HTTP answer into a
 * {@link CalizaNetworkError}. Statuses are returned, not thrown: callers decide what a status means.
 */
export class HttpTransport {
  private readonly http: AxiosInstance;

  constructor(
    private readonly timeoutMs: number,
    private readonly logger: CalizaLogger,
    private readonly metrics?: CalizaMetrics,
  ) {
    this.http = axios.create({
      timeout: timeoutMs,
      // A redirect would replay the bearer token or the password form to wherever it points.
      maxRedirects: 0,
      validateStatus: () => true,
      responseType: 'text',
      // Parsing is done here so a non-JSON body (gateway HTML, a bare secret) is kept as text, not dropped.
      transformResponse: [(data: unknown) => data],
      maxContentLength: MAX_BODY_BYTES,
      maxBodyLength: MAX_BODY_BYTES,
    });
  }

  /** One span per request, a child of whatever is active (the activity's span in the worker). */
  send(request: TransportRequest): Promise<TransportResponse> {
    const route = calizaRoute(request.endpoint, request.method, request.path);
    return tracer.startActiveSpan(
      `Caliza ${route}`,
      { kind: SpanKind.CLIENT, attributes: { 'http.request.method': request.method, 'url.path': route } },
      async (span) => {
        const started = performance.now();
        const record = (status: number | string): void => {
          this.metrics?.request(route, status, (performance.now() - started) / 1000);
          span.setAttribute(typeof status === 'number' ? 'http.response.status_code' : 'error.type', status);
          if (typeof status === 'string' || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        };
        try {
          const response = await this.exchange(request);
          record(response.status);
          return response;
        } catch (error) {
          record(error instanceof CalizaNetworkError ? error.reason : 'aborted');
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  private async exchange(request: TransportRequest): Promise<TransportResponse> {
    const caller = request.signal;
    caller?.throwIfAborted();
    const started = performance.now();
    // axios's own timeout is a socket-idle timeout; this bounds the whole exchange, trickling bodies included.
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.timeoutMs);
    const onCallerAbort = (): void => abort.abort();
    caller?.addEventListener('abort', onCallerAbort, { once: true });
    const entry = { endpoint: request.endpoint, method: request.method, path: request.path };
    try {
      const response = await this.http.request<unknown>({
        method: request.method,
        url: request.url,
        headers: request.headers,
        data: request.body,
        signal: abort.signal,
      });
      const durationMs = Math.round(performance.now() - started);
      const level = response.status < 400 ? 'debug' : 'warn';
      this.logger[level]({ ...entry, status: response.status, durationMs }, 'caliza http request');
      const retryAfter: unknown = response.headers['retry-after'];
      return {
        status: response.status,
        body: parseBody(response.data),
        retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
      };
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      if (caller?.aborted === true) {
        // Not Caliza's failure: whoever aborted gets back what they aborted with (Temporal's cancellation).
        this.logger.info({ ...entry, durationMs }, 'caliza http request aborted by the caller');
        throw caller.reason;
      }
      const reason = reasonOf(error, timedOut);
      const code = codeOf(error);
      this.logger.warn({ ...entry, reason, code, durationMs }, 'caliza http request failed');
      // A fresh error on purpose: the axios error's config carries the Authorization header and form body.
      throw new CalizaNetworkError({
        endpoint: request.endpoint,
        method: request.method,
        path: request.path,
        reason,
        ...(code === undefined ? {} : { code }),
        timeoutMs: this.timeoutMs,
      });
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    }
  }
}

function parseBody(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  if (data.trim().length === 0) return undefined;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

/** Only well-formed error codes (e.g. `ECONNRESET`) are kept; they never carry request data. */
function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = error.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? code : undefined;
}

function reasonOf(error: unknown, deadlinePassed: boolean): CalizaNetworkReason {
  if (deadlinePassed) return 'timeout';
  switch (codeOf(error)) {
    case 'ECONNABORTED':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNREFUSED':
      return 'connection_refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection_reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns';
    case 'ERR_CANCELED':
      return 'aborted';
    default:
      return 'other';
  }
}
