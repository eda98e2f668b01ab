/**
 * The admin server of a process: `/livez`, `/readyz` and `/metrics` on their own port (ADMIN_PORT), never on
 * the public webhook port, shared by every part the process runs. Plain node:http: it must answer while the
 * parts it reports on are starting, failing or stopping.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger';
import { withinTimeout } from '../webhooks/temporal-availability';
import { NotReadyError } from '../webhooks/temporal-delivery';
import type { SdkMetrics } from './sdk-metrics';

export const DEFAULT_ADMIN_PORT = 9090;
export const DEFAULT_ADMIN_HOST = '0.0.0.0';

/** The event loop is alive when a timer set this often has fired within {@link MAX_LOOP_STALL_MS}. */
const HEARTBEAT_MS = 500;
const MAX_LOOP_STALL_MS = 5_000;
/** Upper bound of one readiness check; probes time out after a few seconds. */
const READINESS_TIMEOUT_MS = 2_500;

export interface AdminServerOptions {
  port: number;
  host: string;
  /** The service's own metrics (receiver, Caliza client, process). */
  registry: Registry;
  /** The SDK's metrics, when this process runs the SDK runtime. */
  sdkMetrics?: SdkMetrics | null;
  logger: Logger;
}

export interface ReadinessCheck {
  /** The part it checks, e.g. `worker`; reported with the reason when not ready. */
  part: string;
  /** Rejects when not ready: with a NotReadyError's reason, or as `unreachable` for any other failure. */
  check(): Promise<void>;
}

export class AdminServer {
  private readonly server: Server;
  private readonly checks: ReadinessCheck[] = [];
  private lastBeat = Date.now();
  private readonly heartbeat: NodeJS.Timeout;
  private stopping = false;
  private closing: Promise<void> | null = null;

  private constructor(private readonly options: AdminServerOptions) {
    this.heartbeat = setInterval(() => {
      this.lastBeat = Date.now();
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((err: unknown) => {
        options.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'admin request failed',
        );
        if (!response.headersSent) send(response, 500, { error: 'internal error' });
      });
    });
  }

  static async start(options: AdminServerOptions): Promise<AdminServer> {
    const admin = new AdminServer(options);
    await new Promise<void>((resolve, reject) => {
      admin.server.once('error', reject);
      admin.server.listen(options.port, options.host, () => {
        admin.server.off('error', reject);
        resolve();
      });
    });
    options.sdkMetrics?.start();
    return admin;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Every part the process runs adds its check once it has started; `/readyz` is 503 until one has. */
  addReadiness(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  /** From a stop signal on, `/readyz` is 503 so that no new work is routed here while in-flight work drains. */
  markStopping(): void {
    this.stopping = true;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      clearInterval(this.heartbeat);
      this.options.sdkMetrics?.stop();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, { error: 'method not allowed' });
      return;
    }
    switch (path) {
      case '/livez': {
        const stalledMs = Date.now() - this.lastBeat;
        if (stalledMs > MAX_LOOP_STALL_MS) send(response, 503, { status: 'event loop stalled', stalledMs });
        else send(response, 200, { status: 'ok' });
        return;
      }
      case '/readyz': {
        const reason = await this.notReadyReason();
        if (reason === null) send(response, 200, { status: 'ready' });
        else send(response, 503, { status: 'not_ready', reason });
        return;
      }
      case '/metrics': {
        const own = await this.options.registry.metrics();
        const sdk = this.options.sdkMetrics?.render() ?? '';
        response.writeHead(200, { 'content-type': this.options.registry.contentType });
        response.end(`${own}${own.endsWith('\n') || own === '' ? '' : '\n'}${sdk}`);
        return;
      }
      default:
        send(response, 404, { error: 'not found' });
    }
  }

  private async notReadyReason(): Promise<string | null> {
    if (this.stopping) return 'stopping';
    if (this.checks.length === 0) return 'starting';
    const reasons = await Promise.all(
      this.checks.map(async ({ part, check }) => {
        try {
          await withinTimeout(check(), READINESS_TIMEOUT_MS);
          return null;
        } catch (err) {
          return `${part}: ${err instanceof NotReadyError ? err.reason : 'temporal unreachable'}`;
        }
      }),
    );
    const failed = reasons.filter((reason): reason is string => reason !== null);
    return failed.length === 0 ? null : failed.join('; ');
  }
}

function send(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
