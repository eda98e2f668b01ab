import type { FaultConfigPatch } from './fault-config';
import type { SandboxOptions } from './options';
import { type Env, EnvReader } from '../src/env-readers';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DEFAULT_CLI_PORT = 4010;

/** Drops undefined fields so partial options merge over the defaults instead of erasing them. */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function faultsFromEnv(read: EnvReader): FaultConfigPatch | undefined {
  const statuses = read.list('SANDBOX_FAULT_5XX_STATUSES')?.map(Number);
  if (statuses?.some((status) => !Number.isInteger(status) || status < 500 || status > 599)) {
    read.problem('SANDBOX_FAULT_5XX_STATUSES must be a comma-separated list of 5xx statuses');
  }
  const api = defined({
    serverErrorShare: read.number('SANDBOX_FAULT_5XX_SHARE', 0, 1),
    serverErrorStatuses: statuses,
    rateLimitShare: read.number('SANDBOX_FAULT_429_SHARE', 0, 1),
    retryAfterSeconds: read.integer('SANDBOX_FAULT_RETRY_AFTER_SECONDS', 0),
    latencyShare: read.number('SANDBOX_FAULT_LATENCY_SHARE', 0, 1),
    latencyMinMs: read.integer('SANDBOX_FAULT_LATENCY_MIN_MS', 0),
    latencyMaxMs: read.integer('SANDBOX_FAULT_LATENCY_MAX_MS', 0),
    includeTokenEndpoint: read.boolean('SANDBOX_FAULT_INCLUDE_TOKEN_ENDPOINT'),
  });
  const webhooks = defined({
    dropShare: read.number('SANDBOX_FAULT_WEBHOOK_DROP_SHARE', 0, 1),
    duplicateShare: read.number('SANDBOX_FAULT_WEBHOOK_DUPLICATE_SHARE', 0, 1),
    delayShare: read.number('SANDBOX_FAULT_WEBHOOK_DELAY_SHARE', 0, 1),
    delayMs: read.integer('SANDBOX_FAULT_WEBHOOK_DELAY_MS', 0),
    reorderShare: read.number('SANDBOX_FAULT_WEBHOOK_REORDER_SHARE', 0, 1),
    reorderMaxHoldMs: read.integer('SANDBOX_FAULT_WEBHOOK_REORDER_MAX_HOLD_MS', 0),
  });
  const forceOutcome = read.oneOf('SANDBOX_FORCE_OUTCOME', ['approve', 'reject'] as const);
  const patch: FaultConfigPatch = {};
  if (Object.keys(api).length > 0) patch.api = api;
  if (Object.keys(webhooks).length > 0) patch.webhooks = webhooks;
  if (forceOutcome !== undefined) patch.forceOutcome = forceOutcome;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Options for the CLI (and anyone else) from `SANDBOX_*` variables; see docs/caliza-double.md for the list. */
export function optionsFromEnv(env: Env = process.env): SandboxOptions {
  const read = new EnvReader(env);
  const credentials = defined({
    clientId: read.text('SANDBOX_CLIENT_ID'),
    clientSecret: read.text('SANDBOX_CLIENT_SECRET'),
    username: read.text('SANDBOX_USERNAME'),
    password: read.text('SANDBOX_PASSWORD'),
  });
  const webhooks = defined({
    timeoutMs: read.integer('SANDBOX_WEBHOOK_TIMEOUT_MS', 0),
    maxAttempts: read.integer('SANDBOX_WEBHOOK_MAX_ATTEMPTS', 0),
    baseDelayMs: read.integer('SANDBOX_WEBHOOK_BASE_DELAY_MS', 0),
    maxDelayMs: read.integer('SANDBOX_WEBHOOK_MAX_DELAY_MS', 0),
  });
  const autoDecide = read.boolean('SANDBOX_AUTO_DECIDE')
    ? {
        minDelayMs: read.integer('SANDBOX_AUTO_DECIDE_MIN_DELAY_MS', 0) ?? 500,
        maxDelayMs: read.integer('SANDBOX_AUTO_DECIDE_MAX_DELAY_MS', 0) ?? 3_000,
        approveShare: read.number('SANDBOX_AUTO_DECIDE_APPROVE_SHARE', 0, 1) ?? 0.8,
      }
    : undefined;
  const options = defined({
    port: read.port('SANDBOX_PORT') ?? DEFAULT_CLI_PORT,
    host: read.text('SANDBOX_HOST'),
    publicUrl: read.text('SANDBOX_PUBLIC_URL'),
    credentials: Object.keys(credentials).length > 0 ? credentials : undefined,
    integratorId: read.text('SANDBOX_INTEGRATOR_ID'),
    webhookSecret: read.text('SANDBOX_WEBHOOK_SECRET'),
    callbackUrl: read.text('SANDBOX_CALLBACK_URL'),
    tokenTtlSeconds: read.number('SANDBOX_TOKEN_TTL_SECONDS', 0.001),
    refreshTokenTtlSeconds: read.number('SANDBOX_REFRESH_TOKEN_TTL_SECONDS', 0.001),
    processingDelayMs: read.integer('SANDBOX_PROCESSING_DELAY_MS', 0),
    webhooks: Object.keys(webhooks).length > 0 ? webhooks : undefined,
    faults: faultsFromEnv(read),
    autoDecide,
    seed: read.integer('SANDBOX_SEED', 0),
    deliveryLogLimit: read.integer('SANDBOX_DELIVERY_LOG_LIMIT', 0),
    logLevel: read.oneOf('SANDBOX_LOG_LEVEL', LOG_LEVELS) ?? 'warn',
  }) as SandboxOptions;
  read.throwIfAny();
  return options;
}
