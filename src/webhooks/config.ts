/**
 * The receiver's environment configuration, checked once at start-up. Every problem is reported at once,
 * each naming its variable; a secret's value never appears in a message.
 */
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
  const problems: string[] = [];
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };

  const port = integer('WEBHOOK_PORT', DEFAULT_WEBHOOK_PORT, 0, 65_535);
  const bodyLimitBytes = integer(
    'WEBHOOK_BODY_LIMIT_BYTES',
    DEFAULT_BODY_LIMIT_BYTES,
    1_024,
    10 * 1024 * 1024,
  );
  const temporalTimeoutMs = integer('WEBHOOK_TEMPORAL_TIMEOUT_MS', DEFAULT_TEMPORAL_TIMEOUT_MS, 100, 4_500);
  const retryAfterSeconds = integer('WEBHOOK_RETRY_AFTER_SECONDS', DEFAULT_RETRY_AFTER_SECONDS, 1, 3_600);

  const host = env.WEBHOOK_HOST?.trim() || DEFAULT_WEBHOOK_HOST;
  if (/\s|\//.test(host)) problems.push('WEBHOOK_HOST must be a host name or IP address');

  const path = env.WEBHOOK_PATH?.trim() || DEFAULT_WEBHOOK_PATH;
  const pathProblem = webhookPathProblem(path);
  if (pathProblem) problems.push(`WEBHOOK_PATH ${pathProblem}`);

  const rawLevel = env.LOG_LEVEL?.trim() || 'info';
  const logLevel = (LOG_LEVELS as readonly string[]).includes(rawLevel) ? (rawLevel as LogLevel) : 'info';
  if (logLevel !== rawLevel) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const secrets = secretsFrom(env, problems, options.secretRequired ?? true);

  if (problems.length > 0) throw new WebhookConfigError(problems);
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
function secretsFrom(env: NodeJS.ProcessEnv, problems: string[], required: boolean): string[] {
  const secrets: string[] = [];
  const list = env.CALIZA_WEBHOOK_SECRETS;
  if (list !== undefined && list.trim() !== '') {
    const entries = list.split(',').map((entry) => entry.trim());
    if (entries.some((entry) => entry === '')) {
      problems.push('CALIZA_WEBHOOK_SECRETS has an empty entry (check for a stray comma)');
    }
    secrets.push(...entries.filter((entry) => entry !== ''));
  }
  const single = env.CALIZA_WEBHOOK_SECRET?.trim();
  if (single) secrets.push(single);
  const unique = [...new Set(secrets)];
  if (unique.length === 0) {
    if (required)
      problems.push('CALIZA_WEBHOOK_SECRETS or CALIZA_WEBHOOK_SECRET must be set (current secret first)');
  } else if (unique.length > MAX_SECRETS) {
    problems.push(`CALIZA_WEBHOOK_SECRETS lists more than ${MAX_SECRETS} secrets`);
  }
  return unique;
}
