/**
 * Forwards a verified webhook to the integrator's own endpoint, byte for byte: Caliza has one callback URL
 * per integrator, so events this service does not act on (and, if asked, the ones it does) go on to the
 * integrator's handler, which verifies the same signature with the same secret.
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { DEFAULT_FORWARD_TIMEOUT_MS, type ForwardConfig, forwardUrlProblem } from './config';
import type { IncomingHeaders } from './headers';

export type ForwardOutcome = 'delivered' | 'rejected' | 'timeout' | 'unreachable';
export const FORWARD_OUTCOMES: readonly ForwardOutcome[] = [
  'delivered',
  'rejected',
  'timeout',
  'unreachable',
];

export interface ForwardResult {
  outcome: ForwardOutcome;
  /** The downstream's status, when it answered. */
  status?: number;
  durationMs: number;
  /** Why it failed, for the log: a socket error code or message, never the URL (it may hold a token). */
  error?: string;
}

export type ForwardOptions = Pick<ForwardConfig, 'url'> & Partial<Omit<ForwardConfig, 'url'>>;

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) and the ones that describe this connection rather than the event;
 * every other header goes on unchanged, the signature first of all.
 */
const NOT_FORWARDED = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'content-length',
]);

export class WebhookForwarder {
  readonly url: string;
  readonly all: boolean;
  readonly timeoutMs: number;
  private readonly target: URL;
  private readonly agent: http.Agent;

  constructor(options: ForwardOptions) {
    const problem = forwardUrlProblem(options.url);
    if (problem) throw new Error(`forward url ${problem}`);
    this.url = options.url;
    this.target = new URL(options.url);
    this.all = options.all ?? false;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS;
    if (!Number.isSafeInteger(this.timeoutMs) || this.timeoutMs < 1) {
      throw new RangeError('forward timeoutMs must be >= 1');
    }
    // Kept-alive connections: a forward per webhook should not pay a TCP (and TLS) handshake each time.
    const agentOptions = { keepAlive: true, maxSockets: 64 };
    this.agent =
      this.target.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  /** POSTs `body` with the original `headers`; settles within `timeoutMs`, never rejects. */
  forward(body: Buffer, headers: IncomingHeaders): Promise<ForwardResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const transport = this.target.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: Omit<ForwardResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, durationMs: elapsed() });
      };
      const request = transport.request(this.target, {
        method: 'POST',
        agent: this.agent,
        headers: { ...forwardedHeaders(headers), 'content-length': String(body.length) },
      });
      // The whole exchange, answer included, must fit: a downstream that sends headers and then stalls
      // is as slow as one that never answers.
      let timedOut = false;
      const failed = (err?: NodeJS.ErrnoException) =>
        timedOut
          ? settle({ outcome: 'timeout', error: 'timed out' })
          : settle({ outcome: 'unreachable', error: err?.code ?? err?.message ?? 'connection closed' });
      const timer = setTimeout(() => {
        timedOut = true;
        request.destroy();
        failed();
      }, this.timeoutMs);
      timer.unref();
      request.on('error', failed);
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        // The downstream's body is not needed, only read to the end so the connection can be reused.
        response.resume();
        response.on('error', failed);
        response.on('end', () =>
          settle({ outcome: status >= 200 && status < 300 ? 'delivered' : 'rejected', status }),
        );
        // Closed before its end: cut off by the timeout above or by the downstream.
        response.on('close', () => failed());
      });
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function forwardedHeaders(headers: IncomingHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_FORWARDED.has(name.toLowerCase())) continue;
    out[name.toLowerCase()] = typeof value === 'string' ? value : [...value];
  }
  return out;
}
