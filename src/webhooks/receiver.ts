import type { AddressInfo } from 'node:net';
import { buildWebhookApp, type WebhookApp, type WebhookAppOptions } from './app';
import { DEFAULT_WEBHOOK_HOST, DEFAULT_WEBHOOK_PATH, DEFAULT_WEBHOOK_PORT } from './config';

export interface WebhookReceiverOptions extends WebhookAppOptions {
  /** 0 picks a free port. Default 3000. */
  port?: number;
  /** Default 0.0.0.0. */
  host?: string;
}

export interface RunningWebhookReceiver {
  /** The webhook URL to register at Caliza, e.g. http://127.0.0.1:3000/webhooks/caliza. */
  url: string;
  /** Where `/healthz`, `/readyz` and `/metrics` live. */
  baseUrl: string;
  port: number;
  app: WebhookApp;
  /** Stops accepting connections and waits for the requests in flight to be answered. */
  close(): Promise<void>;
}

/** Starts the receiver in this process (the standalone entry point, the launcher and benchmarks use it). */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<RunningWebhookReceiver> {
  const app = buildWebhookApp(options);
  const host = options.host ?? DEFAULT_WEBHOOK_HOST;
  try {
    await app.listen({ port: options.port ?? DEFAULT_WEBHOOK_PORT, host });
  } catch (err) {
    await app.close();
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  const baseUrl = `http://${visibleHost(host)}:${port}`;
  let closing: Promise<void> | null = null;
  return {
    url: `${baseUrl}${options.path ?? DEFAULT_WEBHOOK_PATH}`,
    baseUrl,
    port,
    app,
    close: () => {
      closing ??= app.close();
      return closing;
    },
  };
}

/** A wildcard address is reachable locally on the loopback address. */
function visibleHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
