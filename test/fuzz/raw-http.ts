import http from 'node:http';
import net from 'node:net';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RawRequest {
  method: string;
  /** Path and query, sent as is. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Sent chunked, without a Content-Length. */
  chunks?: Buffer[];
}

/**
 * One request on a fresh connection. A body is always framed explicitly (Content-Length, or chunked),
 * whatever the method: Node frames bodies of GET, DELETE or OPTIONS requests only when told to, and an
 * unframed body would reach the server as the start of a second request.
 */
export async function request(origin: URL, init: RawRequest): Promise<RawAnswer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.chunks) headers['transfer-encoding'] = 'chunked';
  else if (init.body) headers['content-length'] = String(init.body.length);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: origin.hostname,
      port: origin.port,
      method: init.method,
      path: init.path,
      headers,
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (response) => {
      const parts: Buffer[] = [];
      response.on('data', (chunk: Buffer) => parts.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(parts) }),
      );
    });
    if (init.chunks) {
      for (const chunk of init.chunks) req.write(chunk);
      req.end();
    } else {
      req.end(init.body);
    }
  });
}

export interface SocketExchange {
  /** Everything the server sent. */
  received: string;
  /** The server ended or closed the connection (rather than the client giving up). */
  closedByServer: boolean;
  elapsedMs: number;
}

/**
 * Writes `head` on a raw socket and reads until the server closes the connection or `timeoutMs` passes,
 * for requests no HTTP client would send (a Content-Length far beyond what follows).
 */
export async function rawExchange(port: number, head: string, timeoutMs: number): Promise<SocketExchange> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    let settled = false;
    const finish = (closedByServer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        received: Buffer.concat(parts).toString('latin1'),
        closedByServer,
        elapsedMs: Date.now() - started,
      });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(head);
  });
}
