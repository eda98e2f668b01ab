import { Counter, Histogram, type Registry } from 'prom-client';
import type { CalizaEndpoint, HttpMethod } from './errors';

/** Collection segments whose next segment is an id (`/v1/beneficiaries/{id}/…`), except `me`. */
const ID_COLLECTIONS = new Set(['beneficiaries', 'integrators']);

/**
 * The route a request was for, with ids left out so that a label never grows with the number of
 * beneficiaries: `GET /v1/beneficiaries/{id}/verification`, or `token` for the token endpoint.
 */
export function calizaRoute(endpoint: CalizaEndpoint, method: HttpMethod, path: string): string {
  if (endpoint === 'token') return 'token';
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i += 1) {
    const segment = segments[i];
    if (segment !== undefined && ID_COLLECTIONS.has(segments[i - 1] ?? '') && segment !== 'me') {
      segments[i] = '{id}';
    }
  }
  return `${method} ${segments.join('/')}`;
}

/**
 * Every HTTP exchange with Caliza, from the client's side: by route and by status (the HTTP status, or the
 * network failure's reason when no answer came: `timeout`, `connection_refused`, …).
 */
export class CalizaMetrics {
  private readonly requests: Counter<'endpoint' | 'status'>;
  private readonly seconds: Histogram<'endpoint'>;
  private readonly tokenRetries: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'caliza_http_requests_total',
      help: 'HTTP requests to Caliza, by endpoint (method and route, ids left out) and status (HTTP status, or the network failure: timeout, connection_refused, connection_reset, dns, aborted, other)',
      labelNames: ['endpoint', 'status'],
      registers,
    });
    this.seconds = new Histogram({
      name: 'caliza_http_request_duration_seconds',
      help: 'Time from sending a request to Caliza to its answer or failure, by endpoint',
      labelNames: ['endpoint'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    });
    this.tokenRetries = new Counter({
      name: 'caliza_token_retries_total',
      help: 'Calls sent again with a fresh token after Caliza answered 401',
      registers,
    });
  }

  request(endpoint: string, status: number | string, seconds: number): void {
    this.requests.inc({ endpoint, status: String(status) });
    this.seconds.observe({ endpoint }, seconds);
  }

  tokenRetry(): void {
    this.tokenRetries.inc();
  }
}
