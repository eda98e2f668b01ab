import http from 'node:http';
import https from 'node:https';

export type PostResult = { status: number; error: null } | { status: null; error: string };

/**
 * One JSON POST with a hard deadline on the status line. Uses its own keep-alive agents so `destroy()`
 * ends every socket it opened, and nothing lingers after the double closes.
 */
export class WebhookHttpClient {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly inFlight = new Set<http.ClientRequest>();

  post(url: string, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return Promise.resolve({ status: null, error: `invalid callback URL: ${url}` });
    }
    const secure = target.protocol === 'https:';
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: PostResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(request);
        resolve(result);
      };
      const request = (secure ? https : http).request(
        target,
        {
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: { ...headers, 'Content-Length': String(body.length) },
        },
        (response) => {
          // The status is all that matters; drain the body so the socket can be reused.
          response.resume();
          finish({ status: response.statusCode ?? 0, error: null });
        },
      );
      const timer = setTimeout(() => {
        finish({ status: null, error: `no response within ${timeoutMs} ms` });
        request.destroy();
      }, timeoutMs);
      request.on('error', (error) => finish({ status: null, error: error.message }));
      this.inFlight.add(request);
      request.end(body);
    });
  }

  destroy(): void {
    for (const request of this.inFlight) request.destroy(new Error('sandbox closed'));
    this.inFlight.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
