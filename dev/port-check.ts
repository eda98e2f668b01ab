import net from 'node:net';

/** Rejects with a message naming the variable that moves the port, when something already listens on it. */
export async function assertPortFree(port: number, variable: string, host = '127.0.0.1'): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `port ${port} is already in use (is another \`npm start\` or Temporal dev server running?); ` +
                `stop it or set ${variable} to another port`,
            )
          : err,
      ),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** A hint for a listen failure of a part the launcher starts itself. */
export function addressInUseHint(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code !== 'EADDRINUSE' && !message.includes('EADDRINUSE')) return null;
  return 'another process holds that port (another `npm start`, `npm run caliza-double` or `npm run webhooks`?): stop it, or move this one with SANDBOX_PORT, WEBHOOK_PORT, TEMPORAL_DEV_PORT, TEMPORAL_DEV_UI_PORT or CODEC_PORT';
}
