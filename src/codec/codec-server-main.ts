/**
 * `npm run codec-server`: decrypts payloads for the Temporal Web UI and CLI. Needs the same
 * PAYLOAD_ENCRYPTION_KEYS as the worker; CODEC_* variables configure the server (docs/encryption.md).
 */
import { createLogger } from '../logger';
import { startCodecServer } from './codec-server';
import { codecServerOptionsFromEnv } from './codec-server-env';
import { encryptionCodecFromEnv } from './data-converter';
import { KEYS_VARIABLE } from './encryption-keys';

async function main(): Promise<void> {
  const logger = createLogger('codec-server');
  const codec = encryptionCodecFromEnv(process.env);
  if (!codec) throw new Error(`${KEYS_VARIABLE} is not set: there is nothing to encode or decode with`);
  const options = codecServerOptionsFromEnv(process.env);
  const server = await startCodecServer({ ...options, codec, logger });
  logger.info(
    {
      url: server.url,
      currentKeyId: codec.currentKeyId,
      allowedOrigins: options.allowedOrigins ?? 'default',
      namespaces: options.namespaces ?? 'any',
      auth: options.authToken ? 'bearer' : 'none',
    },
    `codec server listening; start the dev server with --ui-codec-endpoint ${server.url}`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'codec server stopping');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'codec server failed to stop');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`codec server failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
