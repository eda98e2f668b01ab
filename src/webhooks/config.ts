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
/**
 * What one webhook may spend on Temporal and the forward together: Caliza expects an answer within 5 s, and
 * the rest is left for reading the body and answering.
 */
export const ANSWER_BUDGET_MS = 4_500;
/** A forward that needs longer than this is better answered 504 and retried by Caliza. */
export const DEFAULT_FORWARD_TIMEOUT_MS = 1_000;

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
  /** Where events go on to the integrator's own endpoint; null when nothing is forwarded. */
  forward: ForwardConfig | null;
}

export interface ForwardConfig {
  /** The integrator's own webhook endpoint (http or https). */
  url: string;
  /** Forward the verification outcomes too (after signalling), not only the events this service ignores. */
  all: boolean;
  /** Upper bound on one forward, answer included. */
  timeoutMs: number;
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

/**
 * Null when a delivery bounded by `deliveryTimeoutMs` and a forward bounded by `forward.timeoutMs` fit in
 * Caliza's answer window; otherwise why not. The outcomes are signalled first and then forwarded, so with
 * `all` the two add up; the other events are only forwarded.
 */
export function answerBudgetProblem(
  deliveryTimeoutMs: number,
  forward: Pick<ForwardConfig, 'all' | 'timeoutMs'>,
): string | null {
  const worst = forward.all ? deliveryTimeoutMs + forward.timeoutMs : forward.timeoutMs;
  if (worst <= ANSWER_BUDGET_MS) return null;
  return forward.all
    ? `the Temporal delivery (${deliveryTimeoutMs} ms) and the forward (${forward.timeoutMs} ms) together exceed the ${ANSWER_BUDGET_MS} ms answer budget`
    : `the forward (${forward.timeoutMs} ms) exceeds the ${ANSWER_BUDGET_MS} ms answer budget`;
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
  const forward = forwardFrom(read);
  if (forward) {
    const problem = answerBudgetProblem(deliveryTimeoutFor(temporalTimeoutMs), forward);
    if (problem) {
      read.problem(
        `WEBHOOK_TEMPORAL_TIMEOUT_MS + 500 + WEBHOOK_FORWARD_TIMEOUT_MS must be at most ${ANSWER_BUDGET_MS} with WEBHOOK_FORWARD_ALL=true: ${problem}`,
      );
    }
  }

  read.throwIfAny((problems) => new WebhookConfigError([...problems]));
  return {
    port,
    host,
    path,
    secrets,
    bodyLimitBytes,
    temporalTimeoutMs,
    retryAfterSeconds,
    logLevel,
    forward,
  };
}

/** WEBHOOK_FORWARD_URL turns forwarding on; WEBHOOK_FORWARD_ALL and the timeout mean nothing without it. */
function forwardFrom(read: EnvReader): ForwardConfig | null {
  const timeoutMs =
    read.integer('WEBHOOK_FORWARD_TIMEOUT_MS', 100, ANSWER_BUDGET_MS) ?? DEFAULT_FORWARD_TIMEOUT_MS;
  const all = read.boolean('WEBHOOK_FORWARD_ALL') ?? false;
  const url = read.text('WEBHOOK_FORWARD_URL');
  if (url === undefined) {
    if (all) read.problem('WEBHOOK_FORWARD_ALL=true needs WEBHOOK_FORWARD_URL');
    return null;
  }
  const problem = forwardUrlProblem(url);
  if (problem) {
    read.problem(`WEBHOOK_FORWARD_URL ${problem}`);
    return null;
  }
  return { url, all, timeoutMs };
}

/** Null when `url` can be forwarded to; otherwise why not (the URL itself is not repeated: it may hold a token). */
export function forwardUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http or https URL';
  if (parsed.username || parsed.password) return 'must not carry credentials';
  return null;
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
