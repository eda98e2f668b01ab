import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * The integrator's own webhook endpoint, as a real HTTP server on a free port: it records every request
 * exactly as it arrived and answers as told (a status after a delay, or a reply of its own).
 */
export class RecordingDownstream {
  readonly received: Received[] = [];
  /** Runs before each answer is sent, with what arrived; e.g. to look at Temporal from inside the handler. */
  onRequest: (received: Received) => Promise<void> = async () => undefined;
  status = 200;
  delayMs = 0;
  private server: http.Server | null = null;
  private readonly sockets = new Set<import('node:net').Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  async start(): Promise<string> {
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received = {
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks),
        };
        this.received.push(received);
        const { status, delayMs } = this;
        void this.onRequest(received).then(() => {
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            if (response.destroyed) return;
            response.writeHead(status, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ received: true }));
          }, delayMs);
          this.timers.add(timer);
        });
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/integrator/webhooks`;
  }

  reset(): void {
    this.received.length = 0;
    this.status = 200;
    this.delayMs = 0;
    this.onRequest = async () => undefined;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
