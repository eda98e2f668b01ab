import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BackendCounts {
  /** Requests this backend answered (any status). */
  answered: number;
  /** Connections refused: the request went to the next backend. */
  refused: number;
  /** The connection broke after the request was sent: the balancer answered 502. */
  broken: number;
}

export interface WebhookBalancer {
  /** The URL to give the double as its callback URL; the path is passed through. */
  url: string;
  counts: Record<string, BackendCounts>;
  close(): Promise<void>;
}

/**
 * A round-robin HTTP balancer in front of several receiver processes, as a load balancer would stand in
 * front of replicas (nginx's default `proxy_next_upstream error`): a backend that refuses the connection is
 * skipped for the next one; one that dies after the request was sent gets the caller a 502, which the
 * double retries like any other failed delivery.
 */
export async function startWebhookBalancer(
  backends: readonly string[],
  path: string,
): Promise<WebhookBalancer> {
  const counts: Record<string, BackendCounts> = Object.fromEntries(
    backends.map((backend) => [backend, { answered: 0, refused: 0, broken: 0 }]),
  );
  let next = 0;

  const forward = (
    backend: string,
    request: http.IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer } | 'refused' | 'broken'> =>
    new Promise((resolve) => {
      const target = new URL(request.url ?? '/', backend);
      const outgoing = http.request(
        target,
        { method: request.method, headers: { ...request.headers, host: target.host }, agent: false },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () =>
            resolve({
              status: answer.statusCode ?? 502,
              headers: answer.headers,
              body: Buffer.concat(chunks),
            }),
          );
          answer.on('error', () => resolve('broken'));
        },
      );
      outgoing.on('error', (err: NodeJS.ErrnoException) =>
        resolve(err.code === 'ECONNREFUSED' ? 'refused' : 'broken'),
      );
      outgoing.end(body);
    });

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const first = next;
        next = (next + 1) % backends.length;
        for (let i = 0; i < backends.length; i += 1) {
          const backend = backends[(first + i) % backends.length] as string;
          const counted = counts[backend] as BackendCounts;
          const answer = await forward(backend, request, body);
          if (answer === 'refused') {
            counted.refused += 1;
            continue;
          }
          if (answer === 'broken') {
            counted.broken += 1;
            break;
          }
          counted.answered += 1;
          const headers = { ...answer.headers };
          delete headers['transfer-encoding'];
          delete headers.connection;
          response.writeHead(answer.status, headers).end(answer.body);
          return;
        }
        response.writeHead(502, { 'content-type': 'text/plain' }).end('no receiver answered');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
