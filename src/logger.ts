import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs on stdout. Known credential fields are redacted wherever they appear, as a second
 * line of defence behind the code never logging them.
 */
export function createLogger(
  name: string,
  level = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: {
      paths: [
        'password',
        'clientSecret',
        'client_secret',
        'accessToken',
        'access_token',
        'token',
        'secret',
        'secrets',
        'authorization',
        '*.password',
        '*.clientSecret',
        '*.accessToken',
        '*.token',
        '*.secret',
        '*.authorization',
        'headers.authorization',
        'signature',
        'headers["x-caliza-webhook-signature"]',
      ],
      censor: '[REDACTED]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
