import type { FaultConfigPatch } from './fault-config';
import type { SandboxOptions } from './options';

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DEFAULT_CLI_PORT = 4010;

/** Reads one variable; blank counts as unset. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function number(env: Env, name: string, check: (value: number) => boolean = () => true): number | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) throw new Error(`${name}: invalid value "${raw}"`);
  return value;
}

const integer = (env: Env, name: string) => number(env, name, (v) => Number.isInteger(v) && v >= 0);
const share = (env: Env, name: string) => number(env, name, (v) => v >= 0 && v <= 1);

function boolean(env: Env, name: string): boolean | undefined {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new Error(`${name}: expected true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[]): T | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  if (!(values as readonly string[]).includes(raw))
    throw new Error(`${name}: expected one of ${values.join(', ')}`);
  return raw as T;
}

/** Drops undefined fields so partial options merge over the defaults instead of erasing them. */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function faultsFromEnv(env: Env): FaultConfigPatch | undefined {
  const statuses = read(env, 'SANDBOX_FAULT_5XX_STATUSES')
    ?.split(',')
    .map((part) => Number(part.trim()));
  if (statuses?.some((status) => !Number.isInteger(status) || status < 500 || status > 599)) {
    throw new Error('SANDBOX_FAULT_5XX_STATUSES: expected a comma-separated list of 5xx statuses');
  }
  const api = defined({
    serverErrorShare: share(env, 'SANDBOX_FAULT_5XX_SHARE'),
    serverErrorStatuses: statuses,
    rateLimitShare: share(env, 'SANDBOX_FAULT_429_SHARE'),
    retryAfterSeconds: integer(env, 'SANDBOX_FAULT_RETRY_AFTER_SECONDS'),
    latencyShare: share(env, 'SANDBOX_FAULT_LATENCY_SHARE'),
    latencyMinMs: integer(env, 'SANDBOX_FAULT_LATENCY_MIN_MS'),
    latencyMaxMs: integer(env, 'SANDBOX_FAULT_LATENCY_MAX_MS'),
    includeTokenEndpoint: boolean(env, 'SANDBOX_FAULT_INCLUDE_TOKEN_ENDPOINT'),
  });
  const webhooks = defined({
    dropShare: share(env, 'SANDBOX_FAULT_WEBHOOK_DROP_SHARE'),
    duplicateShare: share(env, 'SANDBOX_FAULT_WEBHOOK_DUPLICATE_SHARE'),
    delayShare: share(env, 'SANDBOX_FAULT_WEBHOOK_DELAY_SHARE'),
    delayMs: integer(env, 'SANDBOX_FAULT_WEBHOOK_DELAY_MS'),
    reorderShare: share(env, 'SANDBOX_FAULT_WEBHOOK_REORDER_SHARE'),
    reorderMaxHoldMs: integer(env, 'SANDBOX_FAULT_WEBHOOK_REORDER_MAX_HOLD_MS'),
  });
  const forceOutcome = oneOf(env, 'SANDBOX_FORCE_OUTCOME', ['approve', 'reject'] as const);
  const patch: FaultConfigPatch = {};
  if (Object.keys(api).length > 0) patch.api = api;
  if (Object.keys(webhooks).length > 0) patch.webhooks = webhooks;
  if (forceOutcome !== undefined) patch.forceOutcome = forceOutcome;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Options for the CLI (and anyone else) from `SANDBOX_*` variables; see docs/caliza-double.md for the list. */
export function optionsFromEnv(env: Env = process.env): SandboxOptions {
  const credentials = defined({
    clientId: read(env, 'SANDBOX_CLIENT_ID'),
    clientSecret: read(env, 'SANDBOX_CLIENT_SECRET'),
    username: read(env, 'SANDBOX_USERNAME'),
    password: read(env, 'SANDBOX_PASSWORD'),
  });
  const webhooks = defined({
    timeoutMs: integer(env, 'SANDBOX_WEBHOOK_TIMEOUT_MS'),
    maxAttempts: integer(env, 'SANDBOX_WEBHOOK_MAX_ATTEMPTS'),
    baseDelayMs: integer(env, 'SANDBOX_WEBHOOK_BASE_DELAY_MS'),
    maxDelayMs: integer(env, 'SANDBOX_WEBHOOK_MAX_DELAY_MS'),
  });
  const autoDecide = boolean(env, 'SANDBOX_AUTO_DECIDE')
    ? {
        minDelayMs: integer(env, 'SANDBOX_AUTO_DECIDE_MIN_DELAY_MS') ?? 500,
        maxDelayMs: integer(env, 'SANDBOX_AUTO_DECIDE_MAX_DELAY_MS') ?? 3_000,
        approveShare: share(env, 'SANDBOX_AUTO_DECIDE_APPROVE_SHARE') ?? 0.8,
      }
    : undefined;
  return defined({
    port: integer(env, 'SANDBOX_PORT') ?? DEFAULT_CLI_PORT,
    host: read(env, 'SANDBOX_HOST'),
    publicUrl: read(env, 'SANDBOX_PUBLIC_URL'),
    credentials: Object.keys(credentials).length > 0 ? credentials : undefined,
    integratorId: read(env, 'SANDBOX_INTEGRATOR_ID'),
    webhookSecret: read(env, 'SANDBOX_WEBHOOK_SECRET'),
    callbackUrl: read(env, 'SANDBOX_CALLBACK_URL'),
    tokenTtlSeconds: number(env, 'SANDBOX_TOKEN_TTL_SECONDS', (v) => v > 0),
    refreshTokenTtlSeconds: number(env, 'SANDBOX_REFRESH_TOKEN_TTL_SECONDS', (v) => v > 0),
    processingDelayMs: integer(env, 'SANDBOX_PROCESSING_DELAY_MS'),
    webhooks: Object.keys(webhooks).length > 0 ? webhooks : undefined,
    faults: faultsFromEnv(env),
    autoDecide,
    seed: integer(env, 'SANDBOX_SEED'),
    deliveryLogLimit: integer(env, 'SANDBOX_DELIVERY_LOG_LIMIT'),
    logLevel: oneOf(env, 'SANDBOX_LOG_LEVEL', LOG_LEVELS) ?? 'warn',
  }) as SandboxOptions;
}
