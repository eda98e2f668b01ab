import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedExchange {
  method: string;
  path: string;
  status: number;
}

/**
 * A pass-through proxy on 127.0.0.1 in front of the Caliza double, for what the double does not expose:
 * every token it hands out (access, refresh and ID tokens, read from the token answers) and every bearer
 * token presented to it, plus the status of every exchange.
 */
export class RecordingProxy {
  readonly exchanges: ProxiedExchange[] = [];
  /** Every token seen, issued or presented, in order of first sight. */
  readonly tokens = new Set<string>();

  private constructor(
    private readonly server: http.Server,
    readonly origin: string,
  ) {}

  static async start(target: string): Promise<RecordingProxy> {
    const upstream = new URL(target);
    let proxy: RecordingProxy | null = null;
    const server = http.createServer((req, res) => proxy?.forward(upstream, req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    proxy = new RecordingProxy(server, `http://127.0.0.1:${port}`);
    return proxy;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(upstream: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
    const authorization = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)/i.exec(authorization)?.[1];
    if (bearer) this.tokens.add(bearer);
    const outgoing = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent: false,
      },
      (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => parts.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(parts);
          this.exchanges.push({
            method: req.method ?? '',
            path: req.url ?? '',
            status: answer.statusCode ?? 0,
          });
          this.recordTokens(body);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(body);
        });
      },
    );
    outgoing.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(outgoing);
  }

  private recordTokens(body: Buffer): void {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return;
    }
    if (json === null || typeof json !== 'object') return;
    for (const key of ['access_token', 'refresh_token', 'id_token']) {
      const value = (json as Record<string, unknown>)[key];
      if (typeof value === 'string' && value.length > 0) this.tokens.add(value);
    }
  }
}
