import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs on stdout. Known credential fields are redacted wherever they appear, as a second
 * line of defence behind the code never logging them.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
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
  });
}

export type { Logger };
