/**
 * The receiver's environment configuration, checked once at start-up. Every problem is reported at once,
 * each naming its variable; a secret's value never appears in a message.
 */
import { EnvReader } from '../env-readers';

export const DEFAULT_WEBHOOK_PATH = '/webhooks/caliza';
export const DEFAULT_WEBHOOK_PORT = 3000;
export const DEFAULT_WEBHOOK_HOST = '0.0.0.0';
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;
/** Leaves room inside Caliza's 5 s answer window for reading the body and answering. */
export const DEFAULT_TEMPORAL_TIMEOUT_MS = 3_000;
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
/** Each secret costs one HMAC per delivery; rotation needs two. */
export const MAX_SECRETS = 5;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

export interface WebhookConfig {
  port: number;
  host: string;
  path: string;
  /** Current secret first. */
  secrets: string[];
  bodyLimitBytes: number;
  temporalTimeoutMs: number;
  retryAfterSeconds: number;
  logLevel: LogLevel;
}

export class WebhookConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid webhook receiver configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'WebhookConfigError';
  }
}

/** The receiver's own bound on one delivery: just above the gRPC deadline it gives Temporal. */
export function deliveryTimeoutFor(temporalTimeoutMs: number): number {
  return temporalTimeoutMs + 500;
}

export interface WebhookConfigOptions {
  /**
   * When false, no secret in the environment is not a problem: the receiver then reads the integrator's
   * secret from Caliza (and `secrets` is empty).
   */
  secretRequired?: boolean;
}

export function loadWebhookConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: WebhookConfigOptions = {},
): WebhookConfig {
  const read = new EnvReader(env);
  const port = read.port('WEBHOOK_PORT') ?? DEFAULT_WEBHOOK_PORT;
  const bodyLimitBytes =
    read.integer('WEBHOOK_BODY_LIMIT_BYTES', 1_024, 10 * 1024 * 1024) ?? DEFAULT_BODY_LIMIT_BYTES;
  const temporalTimeoutMs =
    read.integer('WEBHOOK_TEMPORAL_TIMEOUT_MS', 100, 4_500) ?? DEFAULT_TEMPORAL_TIMEOUT_MS;
  const retryAfterSeconds =
    read.integer('WEBHOOK_RETRY_AFTER_SECONDS', 1, 3_600) ?? DEFAULT_RETRY_AFTER_SECONDS;

  const host = read.text('WEBHOOK_HOST') ?? DEFAULT_WEBHOOK_HOST;
  if (/\s|\//.test(host)) read.problem('WEBHOOK_HOST must be a host name or IP address');

  const path = read.text('WEBHOOK_PATH') ?? DEFAULT_WEBHOOK_PATH;
  const pathProblem = webhookPathProblem(path);
  if (pathProblem) read.problem(`WEBHOOK_PATH ${pathProblem}`);

  const logLevel = read.oneOf('LOG_LEVEL', LOG_LEVELS) ?? 'info';
  const secrets = secretsFrom(read, options.secretRequired ?? true);

  read.throwIfAny((problems) => new WebhookConfigError([...problems]));
  return { port, host, path, secrets, bodyLimitBytes, temporalTimeoutMs, retryAfterSeconds, logLevel };
}

/** Null when `path` can be the webhook route; otherwise why not. */
export function webhookPathProblem(path: string): string | null {
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(path)) return 'must start with / and contain only URL path characters';
  if (['/healthz', '/readyz', '/metrics'].includes(path)) return 'must not be a health or metrics path';
  return null;
}

/**
 * CALIZA_WEBHOOK_SECRETS (comma-separated, current first) and CALIZA_WEBHOOK_SECRET (one secret) may be
 * used alone or together; together, the list comes first.
 */
function secretsFrom(read: EnvReader, required: boolean): string[] {
  const secrets: string[] = [];
  const list = read.text('CALIZA_WEBHOOK_SECRETS');
  if (list !== undefined) {
    const entries = list.split(',').map((entry) => entry.trim());
    if (entries.some((entry) => entry === '')) {
      read.problem('CALIZA_WEBHOOK_SECRETS has an empty entry (check for a stray comma)');
    }
    secrets.push(...entries.filter((entry) => entry !== ''));
  }
  const single = read.text('CALIZA_WEBHOOK_SECRET');
  if (single) secrets.push(single);
  const unique = [...new Set(secrets)];
  if (unique.length === 0) {
    if (required)
      read.problem('CALIZA_WEBHOOK_SECRETS or CALIZA_WEBHOOK_SECRET must be set (current secret first)');
  } else if (unique.length > MAX_SECRETS) {
    read.problem(`CALIZA_WEBHOOK_SECRETS lists more than ${MAX_SECRETS} secrets`);
  }
  return unique;
}
