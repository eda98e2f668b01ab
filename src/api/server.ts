/** The HTTP API listening on a port: what the service's `api` part runs. */
import type { AddressInfo } from 'node:net';
import { type ApiApp, type ApiAppOptions, buildApiApp } from './app';
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from './config';

export interface ApiServerOptions extends ApiAppOptions {
  port?: number;
  host?: string;
}

export interface RunningApiServer {
  /** e.g. http://127.0.0.1:3002 */
  url: string;
  port: number;
  app: ApiApp;
  /** Stops accepting requests and answers those in flight first. */
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const app = buildApiApp(options);
  const host = options.host ?? DEFAULT_API_HOST;
  try {
    await app.listen({ port: options.port ?? DEFAULT_API_PORT, host });
  } catch (err) {
    await app.close();
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  const visible = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${visible.includes(':') && !visible.startsWith('[') ? `[${visible}]` : visible}:${port}`,
    port,
    app,
    close: () => {
      closing ??= app.close();
      return closing;
    },
  };
}
