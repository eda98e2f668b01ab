/**
 * Child process of the receiver section: runs autocannon against one URL and sends its result to the
 * parent over IPC, so that the load generator does not share an event loop with the receiver it measures.
 * The configuration comes over IPC too: thousands of distinct signed bodies are too large for the
 * environment.
 */
import autocannon from 'autocannon';

export interface LoadClientConfig {
  url: string;
  connections: number;
  durationSeconds: number;
  /** Cycled through by every connection. */
  requests: { body: string; signature: string }[];
  signatureHeader: string;
}

async function main(): Promise<void> {
  const config = await new Promise<LoadClientConfig>((resolve) => {
    process.once('message', (message: { type?: string; config?: LoadClientConfig }) => {
      if (message.type === 'config' && message.config) resolve(message.config);
    });
  });
  const url = new URL(config.url);
  if (url.hostname !== '127.0.0.1') throw new Error('the load client only targets 127.0.0.1');
  // One dynamic request drawing from a counter shared by every connection: each request sends the next
  // body, so no two connections send the same event. (A list of requests is built up front by every
  // connection and cycled by each from its start: 50 connections × 30,000 bodies never got going, and
  // every connection sent the same events.)
  let next = 0;
  const result = await autocannon({
    url: config.url,
    connections: config.connections,
    duration: config.durationSeconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: url.pathname,
        setupRequest: (request) => {
          const r = config.requests[next++ % config.requests.length] as LoadClientConfig['requests'][number];
          return {
            ...request,
            headers: { 'content-type': 'application/json', [config.signatureHeader]: r.signature },
            body: r.body,
          };
        },
      },
    ],
  });
  process.send?.({ type: 'result', result });
  process.disconnect?.();
}

main().catch((err: unknown) => {
  process.stderr.write(`load client: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
